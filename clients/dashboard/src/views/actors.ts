// Who did it: a timeline entry's actor ("token:<id> (<name>)", "technician:<id>",
// "tool:<source>", "runbook:<execution id>", "system") shown by name where the dashboard can look
// it up (technicians, operator tokens), falling back to the raw id.
import { allPages } from "../api.js";
import type { Technician } from "../api.js";
import type { Ctx } from "../context.js";
import { h } from "../dom.js";

export interface ActorNames {
  technicians: Map<string, string>;
  tokens: Map<string, string>;
}

export function emptyActorNames(): ActorNames {
  return { technicians: new Map(), tokens: new Map() };
}

/**
 * The names of the technicians of `companyId` and of the operator tokens. Listing tokens needs an
 * admin token: for others that part stays empty and tokens show by the name the actor carries
 * (or their id).
 */
export async function loadActorNames(ctx: Ctx, companyId: string, known?: Technician[]): Promise<ActorNames> {
  const names = emptyActorNames();
  const [technicians, tokens] = await Promise.allSettled([
    known ?? allPages(async (pageToken) => {
      const answer = await ctx.client.tenants.listTechnicians({ companyId, pageSize: 500, pageToken });
      return { items: answer.technicians, next: answer.nextPageToken };
    }, 5),
    allPages(async (pageToken) => {
      const answer = await ctx.client.tenants.listOperatorTokens({ pageSize: 500, pageToken, includeInactive: true });
      return { items: answer.operatorTokens, next: answer.nextPageToken };
    }, 5),
  ]);
  if (technicians.status === "fulfilled") for (const t of technicians.value) names.technicians.set(t.id, t.name);
  if (tokens.status === "fulfilled") for (const t of tokens.value) names.tokens.set(t.id, t.name);
  return names;
}

/** The actor as a readable label; the raw actor stays in the title. */
export function actorLabel(actor: string, names: ActorNames): HTMLElement {
  const colon = actor.indexOf(":");
  const kind = colon > 0 ? actor.slice(0, colon) : actor;
  const rest = colon > 0 ? actor.slice(colon + 1) : "";
  let label: Node | string = actor;
  if (kind === "token") {
    // "token:<id> (<name>)" or "token:<id>".
    const match = /^(\S+)(?: \((.*)\))?$/.exec(rest);
    const id = match?.[1] ?? rest;
    const name = match?.[2] || names.tokens.get(id);
    label = name ? `${name} (operator)` : `operator ${id}`;
  } else if (kind === "technician") {
    const name = names.technicians.get(rest);
    label = name ? `${name} (technician)` : `technician ${rest}`;
  } else if (kind === "tool") {
    label = `${rest} (tool)`;
  } else if (kind === "runbook") {
    label = h("a", { href: `#/executions/${encodeURIComponent(rest)}` }, "runbook run");
  }
  return h("span", { class: "muted", title: actor, testid: "timeline-actor" }, label);
}
