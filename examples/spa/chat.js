// Loading the ImbaChat widget for whoever the site says is signed in, with the adapter's
// GraphQL API: chatWidget once, then issueChatToken before each token expires.

import { CHAT_WIDGET, ISSUE_CHAT_TOKEN } from "./documents.js";

const GRAPHQL_URL =
  document.querySelector('meta[name="imbachat-graphql"]')?.content || "/graphql";
// Ask for the next token this long before the current one expires (at most a tenth of its life).
const REFRESH_LEAD_SECONDS = 60;
const RETRY_SECONDS = 30;

export class ChatApiError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.extensions?.code;
  }
}

export async function graphql(query, variables) {
  const response = await fetch(GRAPHQL_URL, {
    method: "POST",
    // The adapter finds the viewer from the site's cookie or Authorization header.
    credentials: "include",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new ChatApiError(body.errors[0]);
  return body.data;
}

// The vendor's loader (PROTOCOL.md section 5): wait for the script, then load.
function imbachatWidget(opt) {
  if (!window.ImbaChat) return setTimeout(imbachatWidget, 50, opt);
  // Signed out: ImbaChat.load() with no options at all.
  return opt === undefined ? window.ImbaChat.load() : window.ImbaChat.load(opt);
}

function addScript(url) {
  if (document.querySelector("script[data-imbachat]")) return;
  const script = document.createElement("script");
  script.src = url;
  script.async = true;
  script.dataset.imbachat = "";
  script.dataset.graphql = GRAPHQL_URL; // read by the demo's stand-in widget only
  document.head.appendChild(script);
}

export class Chat {
  constructor(onChange) {
    this.onChange = onChange;
    this.options = undefined;
    this.timer = undefined;
  }

  async start() {
    const { chatWidget } = await graphql(CHAT_WIDGET);
    addScript(chatWidget.scriptUrl);
    const signedIn = chatWidget.userId !== null;
    this.options = signedIn ? chatWidget.options : undefined;
    imbachatWidget(this.options);
    this.onChange({ userId: chatWidget.userId, expiresAt: chatWidget.expiresAt });
    if (signedIn) this.schedule(chatWidget.expiresAt);
  }

  schedule(expiresAt) {
    clearTimeout(this.timer);
    const remaining = expiresAt - Date.now() / 1000;
    const lead = Math.min(REFRESH_LEAD_SECONDS, remaining / 10);
    this.timer = setTimeout(() => this.refresh(), Math.max(0, remaining - lead) * 1000);
  }

  async refresh() {
    try {
      const { issueChatToken } = await graphql(ISSUE_CHAT_TOKEN);
      // userId is a GraphQL ID (a string: chat ids reach 2^63-1, past what a JS number holds).
      this.options = { ...this.options, user_id: issueChatToken.userId, token: issueChatToken.token };
      imbachatWidget(this.options);
      this.onChange({ userId: issueChatToken.userId, expiresAt: issueChatToken.expiresAt });
      this.schedule(issueChatToken.expiresAt);
    } catch (error) {
      if (error.code === "UNAUTHENTICATED") {
        this.onChange({ userId: null, expiresAt: null });
        return; // signed out elsewhere: no token to renew
      }
      this.timer = setTimeout(() => this.refresh(), RETRY_SECONDS * 1000);
    }
  }
}
