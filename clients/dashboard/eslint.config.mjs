// ESLint (flat config): the recommended JavaScript and type-aware TypeScript rules for src/, the
// recommended JavaScript rules for the Node scripts and tests. `npm run lint` must be clean.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const nodeGlobals = {
  process: "readonly",
  console: "readonly",
  Buffer: "readonly",
  URL: "readonly",
  URLSearchParams: "readonly",
  fetch: "readonly",
  setTimeout: "readonly",
  clearTimeout: "readonly",
  AbortController: "readonly",
  Headers: "readonly",
};

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "test-output/"] },
  {
    files: ["src/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Promises started on purpose are marked with `void`.
      "@typescript-eslint/no-floating-promises": "error",
      // Event handlers are async functions by design (h() ignores their result).
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ["*.mjs", "test/**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...nodeGlobals, window: "readonly", document: "readonly", sessionStorage: "readonly", CSS: "readonly" },
    },
    rules: {
      // The live feed's fake streams may fail before their first message.
      "require-yield": "off",
    },
  },
);
