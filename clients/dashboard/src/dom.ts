// A small DOM layer: h() builds elements, nothing more. Views re-render their own subtree.

export type Child = Node | string | number | bigint | null | undefined | false | Child[];

type Handler = (event: Event) => void;

export interface Attrs {
  class?: string;
  /** Sets data-testid, the stable hook of the browser test. */
  testid?: string;
  /** Event listeners: onclick, onsubmit, oninput, onchange ... */
  [key: `on${string}`]: Handler | undefined;
  [key: string]: unknown;
}

/** Creates an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "testid") {
        element.dataset.testid = attributeText(value);
      } else if (key.startsWith("on") && typeof value === "function") {
        element.addEventListener(key.slice(2), value as Handler);
      } else if (key === "value" || key === "checked") {
        (element as unknown as Record<string, unknown>)[key] = value;
      } else if (value === true) {
        element.setAttribute(key, "");
      } else {
        element.setAttribute(key, attributeText(value));
      }
    }
  }
  append(element, children);
  return element;
}

/** An attribute's text: strings as they are, numbers and bigints in decimal. */
function attributeText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return value.toString();
  return JSON.stringify(value);
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      append(parent, child);
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces every child of `parent`. */
export function mount(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * mount(), then gives the focus back to the element that had it if it is still inside `parent`
 * (views re-render with the same form controls, which lose the focus when moved).
 */
export function remount(parent: Element, ...children: Child[]): void {
  const focused = document.activeElement;
  mount(parent, ...children);
  if (focused instanceof HTMLElement && focused !== document.activeElement && parent.contains(focused)) {
    focused.focus({ preventScroll: true });
  }
}

/** Calls `fn` once, `wait` ms after the last of a burst of calls. */
export function debounce(fn: () => void, wait: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, wait);
  };
}

/** A labelled form field: <label> text + control, tied by id. */
let fieldCounter = 0;
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("small", { id: hintId, class: "hint" }, hint) : null,
  );
}

/** Copies text to the clipboard; falls back to selecting it where the API is missing. */
export async function copyText(text: string, fallback?: HTMLElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallback) {
      const range = document.createRange();
      range.selectNodeContents(fallback);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
    }
    return false;
  }
}

/** A read-only value with a copy button. */
export function copyable(value: string, testid: string, multiline = false): HTMLElement {
  const text = h(multiline ? "pre" : "code", { class: "secret", testid }, value);
  const button = h("button", { type: "button", class: "small" }, "Copy");
  button.addEventListener("click", async () => {
    const ok = await copyText(value, text);
    button.textContent = ok ? "Copied" : "Selected: press Ctrl+C";
    setTimeout(() => (button.textContent = "Copy"), 2000);
  });
  return h("div", { class: multiline ? "copyable block" : "copyable" }, text, button);
}
