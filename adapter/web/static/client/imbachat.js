// The adapter's client for single page apps: loads the ImbaChat widget for whoever the site says
// is signed in, renews the widget token before it expires, opens dialogs, and follows sign-in
// and sign-out without a page reload. An ES module with no dependencies and no build step;
// its types are in imbachat.d.ts. The adapter serves it at <graphql path>/client/imbachat.js.
//
//   import { ImbaChatClient } from "https://chat.example.com/graphql/client/imbachat.js";
//   const chat = new ImbaChatClient({ graphqlUrl: "https://chat.example.com/graphql" });
//   await chat.start();          // after the site's own sign-in or sign-out: chat.refresh()
//   chat.openDialog(2);          // the "Write message" button

import { CHAT_USERS, CHAT_WIDGET, ISSUE_CHAT_TOKEN } from "./documents.js";

export { CHAT_USERS, CHAT_WIDGET, ISSUE_CHAT_TOKEN };

const DEFAULTS = Object.freeze({
  graphqlUrl: "/graphql",
  credentials: "include",
  refreshLeadSeconds: 60,
  retrySeconds: 30,
  scriptTimeoutSeconds: 30,
});
const POLL_MS = 50; // the vendor's loader waits for window.ImbaChat in steps of 50 ms
const SIGNED_OUT = Object.freeze({ userId: null, expiresAt: null });

/** A GraphQL error from the adapter (`code` is its extensions.code), or a transport failure. */
export class ChatApiError extends Error {
  constructor(message, code, extensions = {}) {
    super(message);
    this.name = "ChatApiError";
    this.code = code;
    this.extensions = extensions;
  }
}

function dialogId(userId) {
  // The vendor's example passes a number (imbaChat.openDialog(2)); string ids stay strings.
  return typeof userId === "string" && /^\d+$/.test(userId) ? Number(userId) : userId;
}

export class ImbaChatClient {
  #options;
  #listeners = new Set();
  #state = SIGNED_OUT;
  #loadOptions = undefined;
  #script = undefined;
  #timer = undefined;
  #generation = 0;

  constructor(options = {}) {
    this.#options = { ...DEFAULTS, ...options };
    if (options.onChange) this.#listeners.add(options.onChange);
  }

  /** Who the chat is loaded for now, and when the token expires (unix seconds). */
  get state() {
    return this.#state;
  }

  get signedIn() {
    return this.#state.userId !== null;
  }

  /** Call `listener` after every change of state; returns a function that stops it. */
  onChange(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Load the widget for the current viewer (none signed in: ImbaChat.load() bare). */
  start() {
    return this.#sync();
  }

  /** Ask again who is signed in, after the site's own sign-in or sign-out; no page reload. */
  refresh() {
    return this.#sync();
  }

  /** Stop renewing the token (the widget stays as it is). */
  stop() {
    this.#generation += 1;
    clearTimeout(this.#timer);
  }

  /** Open the conversation with `userId`: the vendor's imbaChat.openDialog. */
  async openDialog(userId) {
    if (!this.signedIn) throw new ChatApiError("Sign in to the site first.", "UNAUTHENTICATED");
    const widget = await this.#script;
    (window.imbaChat ?? widget).openDialog(dialogId(userId));
  }

  /** Chat profiles of these users, in order; unknown ids are left out. */
  async chatUsers(ids) {
    const { chatUsers } = await this.request(CHAT_USERS, { ids: ids.map(String) });
    return chatUsers;
  }

  /** One operation against the adapter's GraphQL API; rejects with ChatApiError. */
  async request(query, variables) {
    const { graphqlUrl, credentials, headers } = this.#options;
    const send = this.#options.fetch ?? globalThis.fetch.bind(globalThis);
    const extra = typeof headers === "function" ? await headers() : headers;
    let response;
    try {
      response = await send(graphqlUrl, {
        method: "POST",
        credentials,
        headers: { "Content-Type": "application/json", ...extra },
        body: JSON.stringify(variables === undefined ? { query } : { query, variables }),
      });
    } catch (error) {
      throw new ChatApiError(`the chat API cannot be reached: ${error.message}`, "NETWORK_ERROR");
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new ChatApiError(`the chat API answered HTTP ${response.status}, not JSON`, "BAD_RESPONSE");
    }
    if (body?.errors?.length) {
      const [first] = body.errors;
      throw new ChatApiError(first.message, first.extensions?.code, first.extensions ?? {});
    }
    if (!response.ok || !body?.data) {
      throw new ChatApiError(`the chat API answered HTTP ${response.status}`, "BAD_RESPONSE");
    }
    return body.data;
  }

  async #sync() {
    const generation = ++this.#generation;
    clearTimeout(this.#timer);
    const { chatWidget } = await this.request(CHAT_WIDGET);
    if (generation !== this.#generation) return this.#state; // a newer call won
    await this.#loadScript(chatWidget.scriptUrl);
    const options = chatWidget.userId === null ? undefined : chatWidget.options;
    this.#load(options);
    this.#setState({ userId: chatWidget.userId, expiresAt: chatWidget.expiresAt });
    if (options !== undefined) this.#schedule(generation, chatWidget.expiresAt);
    return this.#state;
  }

  #schedule(generation, expiresAt) {
    clearTimeout(this.#timer);
    const remaining = expiresAt - Date.now() / 1000;
    // At most a tenth of the token's remaining life early, so short lifetimes still work.
    const lead = Math.min(this.#options.refreshLeadSeconds, remaining / 10);
    const delay = Math.max(0, remaining - lead) * 1000;
    this.#timer = setTimeout(() => this.#renew(generation), delay);
  }

  async #renew(generation) {
    try {
      const { issueChatToken } = await this.request(ISSUE_CHAT_TOKEN);
      if (generation !== this.#generation) return;
      if (issueChatToken.userId !== this.#state.userId) {
        await this.#sync(); // someone else signed in meanwhile: start over as them
        return;
      }
      this.#load({ ...this.#loadOptions, user_id: issueChatToken.userId, token: issueChatToken.token });
      this.#setState({ userId: issueChatToken.userId, expiresAt: issueChatToken.expiresAt });
      this.#schedule(generation, issueChatToken.expiresAt);
    } catch (error) {
      if (generation !== this.#generation) return;
      if (error.code === "UNAUTHENTICATED") {
        this.#load(undefined); // signed out elsewhere: the widget as for a visitor
        this.#setState(SIGNED_OUT);
        return;
      }
      this.#options.onError?.(error);
      const wait = error.extensions?.retryAfterSeconds ?? this.#options.retrySeconds;
      this.#timer = setTimeout(() => this.#renew(generation), wait * 1000);
    }
  }

  #load(options) {
    this.#loadOptions = options;
    // Signed out: ImbaChat.load() with no argument at all, as the vendor's notes say.
    if (options === undefined) window.ImbaChat.load();
    else window.ImbaChat.load(options);
  }

  #setState(state) {
    this.#state = Object.freeze({ ...state });
    for (const listener of this.#listeners) listener(this.#state);
  }

  #loadScript(url) {
    this.#script ??= new Promise((resolve, reject) => {
      const deadline = Date.now() + this.#options.scriptTimeoutSeconds * 1000;
      const fail = (message) => {
        this.#script = undefined; // the next start() or refresh() tries again
        reject(new ChatApiError(message, "WIDGET_UNAVAILABLE"));
      };
      const wait = () => {
        if (window.ImbaChat) resolve(window.ImbaChat);
        else if (Date.now() > deadline) fail("the widget script defined no ImbaChat");
        else setTimeout(wait, POLL_MS);
      };
      if (window.ImbaChat) return resolve(window.ImbaChat);
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.dataset.imbachat = "";
      script.dataset.graphql = this.#options.graphqlUrl; // read by the demo's stand-in only
      script.addEventListener("load", wait);
      script.addEventListener("error", () => {
        script.remove();
        fail(`the widget script ${url} could not be loaded`);
      });
      document.head.appendChild(script);
    });
    return this.#script;
  }
}
