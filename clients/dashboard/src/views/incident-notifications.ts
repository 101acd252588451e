// The incident page's notifications: the delivery log of the incident (ListDeliveries) with its
// channels' names (ListChannels), and Redeliver for a delivery (RedeliverNotification). The
// incident page reloads it with the incident.
import { DeliveryStatus, NotifyEvent, allPages, errorText } from "../api.js";
import type { Delivery } from "../api.js";
import type { Ctx } from "../context.js";
import { h, remount } from "../dom.js";
import { placeholder, timeElement } from "./common.js";

function enumName(names: Record<number, string>, value: number): string {
  return (names[value] ?? "—").toLowerCase().replace(/_/g, " ");
}

export interface IncidentNotifications {
  element: HTMLElement;
  /** Loads the incident's deliveries (and its company's channels once) and renders them. */
  load(companyId: string): Promise<void>;
  /** Stops looking again. */
  dispose(): void;
}

/** How often the log is read again while a delivery is pending (no stream carries deliveries). */
const PENDING_POLL_MS = 2_000;

export function incidentNotifications(ctx: Ctx, incidentId: string): IncidentNotifications {
  const element = h("section", { "aria-labelledby": "notifications-title", testid: "incident-notifications" });
  let companyId = "";
  let deliveries: Delivery[] = [];
  const channels = new Map<string, string>();
  let error = "";
  let loaded = false;
  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const redeliver = async (delivery: Delivery) => {
    try {
      await ctx.client.notifications.redeliverNotification({ deliveryId: delivery.id });
      ctx.notify("Redeliver: queued");
      await load(companyId);
    } catch (failure) {
      ctx.fail(failure, "Redeliver");
    }
  };

  const render = () => {
    const rows = deliveries.map((d) =>
      h(
        "tr",
        { testid: "delivery-row", "data-status": enumName(DeliveryStatus, d.status), "data-delivery-id": d.id },
        h("td", null, channels.get(d.channelId) ?? d.channelId),
        h("td", null, enumName(NotifyEvent, d.event)),
        h("td", { class: "num" }, String(d.level)),
        h("td", { testid: "delivery-status" }, enumName(DeliveryStatus, d.status)),
        h("td", { class: "num" }, String(d.attempts)),
        h("td", null, d.lastStatusCode ? String(d.lastStatusCode) : "—"),
        h("td", null, d.lastError || "—"),
        h("td", null, d.deliverTime ? timeElement(d.deliverTime) : d.nextAttemptTime ? ["next ", timeElement(d.nextAttemptTime)] : "—"),
        h(
          "td",
          null,
          d.status === DeliveryStatus.PENDING
            ? null
            : h("button", { type: "button", class: "secondary", testid: "delivery-redeliver", onclick: () => void redeliver(d) }, "Redeliver"),
        ),
      ),
    );
    remount(
      element,
      h("h2", { id: "notifications-title" }, "Notifications"),
      error ? h("p", { class: "error", role: "alert" }, error) : null,
      !loaded
        ? placeholder("Loading…")
        : deliveries.length === 0
          ? placeholder("No notification was sent for this incident (see the company's routes).", "no-deliveries")
          : h(
              "table",
              { testid: "incident-deliveries" },
              h(
                "thead",
                null,
                h(
                  "tr",
                  null,
                  ["Channel", "Change", "Level", "Status", "Attempts", "Code", "Last error", "Delivered", ""].map((t) => h("th", { scope: "col" }, t)),
                ),
              ),
              h("tbody", null, rows),
            ),
    );
  };

  async function load(company: string): Promise<void> {
    companyId = company;
    try {
      if (channels.size === 0) {
        const all = await allPages(async (pageToken) => {
          const answer = await ctx.client.notifications.listChannels({ companyId, pageSize: 500, pageToken });
          return { items: answer.channels, next: answer.nextPageToken };
        }, 5);
        for (const channel of all) channels.set(channel.id, channel.name);
      }
      deliveries = await allPages(async (pageToken) => {
        const answer = await ctx.client.notifications.listDeliveries({ companyId, incidentId, pageSize: 500, pageToken });
        return { items: answer.deliveries, next: answer.nextPageToken };
      }, 5);
      error = "";
    } catch (failure) {
      error = `Cannot load the notifications: ${errorText(failure)}`;
    }
    loaded = true;
    if (disposed) return;
    render();
    clearTimeout(timer);
    // Deliveries are made and sent after the change that caused them: look again while one is
    // pending, and a few times while there are none yet.
    const empty = deliveries.length === 0 && emptyLooks++ < 5;
    if (empty || deliveries.some((d) => d.status === DeliveryStatus.PENDING)) {
      timer = setTimeout(() => void load(companyId), PENDING_POLL_MS);
    }
  }
  let emptyLooks = 0;

  render();
  return {
    element,
    load,
    dispose: () => {
      disposed = true;
      clearTimeout(timer);
    },
  };
}
