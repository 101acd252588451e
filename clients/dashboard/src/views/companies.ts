// Companies: list and create (the new company's API key, webhook URL and a curl example are
// shown once).
import { formatTime } from "../api.js";
import type { Ctx, View } from "../context.js";
import { field, h, mount } from "../dom.js";
import { pageHeader, placeholder } from "./common.js";
import { apiKeyPanel } from "./webhook.js";

export function companiesView(ctx: Ctx): View {
  const list = h("section", { "aria-labelledby": "list-title" });
  const created = h("div", { "aria-live": "polite" });

  const name = h("input", { type: "text", required: true, maxlength: "200", autocomplete: "organization", testid: "company-name" });
  const website = h("input", { type: "url", placeholder: "https://", testid: "company-website" });
  const email = h("input", { type: "email", autocomplete: "email", testid: "company-email" });
  const submit = h("button", { type: "submit", testid: "create-company" }, "Create company");
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "create-title",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        submit.disabled = true;
        try {
          const answer = await ctx.client.tenants.createCompany({
            name: name.value.trim(),
            website: website.value.trim(),
            contactEmail: email.value.trim(),
          });
          form.reset();
          const company = answer.company;
          mount(
            created,
            apiKeyPanel(answer.apiKeySecret, `${company?.name ?? "Company"} created`),
            company
              ? h("p", null, h("a", { href: `#/companies/${encodeURIComponent(company.id)}`, testid: "created-company-link" }, "Settings of this company (HMAC, correlation, technicians, notifications) →"))
              : null,
          );
          ctx.notify(`Company ${company?.name ?? ""} created`);
          await ctx.refreshCompanies();
          render();
        } catch (error) {
          ctx.fail(error, "Create company");
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "create-title" }, "New company"),
    h("div", { class: "row" }, field("Name", name), field("Website (optional)", website), field("Contact e-mail (optional)", email)),
    submit,
  );

  const render = () => {
    const companies = ctx.companies();
    mount(
      list,
      h("h2", { id: "list-title" }, `Companies (${companies.length})`),
      companies.length === 0
        ? placeholder("No companies yet.")
        : h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { testid: "companies-table" },
              h("thead", null, h("tr", null, ["Name", "Website", "Contact", "HMAC", "Created"].map((t) => h("th", { scope: "col" }, t)))),
              h(
                "tbody",
                null,
                companies.map((c) =>
                  h(
                    "tr",
                    { testid: "company-row", "data-company-id": c.id },
                    h("th", { scope: "row" }, h("a", { href: `#/companies/${encodeURIComponent(c.id)}` }, c.name)),
                    h("td", null, c.website || "—"),
                    h("td", null, c.contactEmail || "—"),
                    h("td", null, c.hmacEnabled ? "required" : "off"),
                    h("td", null, formatTime(c.createTime)),
                  ),
                ),
              ),
            ),
          ),
    );
  };

  render();
  void ctx.refreshCompanies().then(render, (error) => ctx.fail(error, "List companies"));
  return {
    element: h("div", { class: "view companies", testid: "companies" }, pageHeader("Companies"), created, form, list),
    dispose: () => {},
  };
}
