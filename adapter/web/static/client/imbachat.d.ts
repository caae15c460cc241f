// Types of imbachat.js, the adapter's client for single page apps (no build step needed to
// use it; these declarations are for editors and TypeScript projects).

export { CHAT_USERS, CHAT_WIDGET, ISSUE_CHAT_TOKEN } from "./documents.js";

/** The argument of ImbaChat.load for a signed-in viewer (docs/protocol.md section 5). */
export interface WidgetOptions {
  user_id: number;
  token: string;
  language?: string;
  theme?: "default" | "dark";
  position?: "right" | "left";
  resizable?: boolean;
  draggable?: boolean;
  useFaviconBadge?: boolean;
  updateTitle?: boolean;
  [option: string]: unknown;
}

/** Who the widget is loaded for; both null when nobody is signed in. */
export interface ChatState {
  readonly userId: number | null;
  /** Unix seconds; the client renews the token before then. */
  readonly expiresAt: number | null;
}

/** A user as the chat sees them (the adapter's chatUsers). */
export interface ChatUser {
  userId: string;
  name: string;
  avatarUrl: string | null;
  profileUrl: string | null;
  badge: string | null;
  /** The JSON object the chat's users-info call receives for this user. */
  chatJson: Record<string, unknown>;
}

export interface ImbaChatClientOptions {
  /** The adapter's GraphQL endpoint, or the site's gateway that composes it. Default "/graphql". */
  graphqlUrl?: string;
  /** Sent with every request; "include" (the default) sends the site's session cookie. */
  credentials?: RequestCredentials;
  /** Extra headers, e.g. the site's `Authorization: Bearer …` when its session is a token. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Renew this long before the token expires (at most a tenth of its life). Default 60. */
  refreshLeadSeconds?: number;
  /** After a failed renewal, try again after this long (or the server's retryAfterSeconds). Default 30. */
  retrySeconds?: number;
  /** How long the widget script may take to define window.ImbaChat. Default 30. */
  scriptTimeoutSeconds?: number;
  /** Called after every change of state. */
  onChange?: (state: ChatState) => void;
  /** Called when a renewal fails for another reason than a sign-out (it is retried). */
  onError?: (error: ChatApiError) => void;
  /** Instead of the global fetch. */
  fetch?: typeof fetch;
}

/** A GraphQL error from the adapter, or a transport failure. */
export declare class ChatApiError extends Error {
  /** extensions.code: UNAUTHENTICATED, RATE_LIMITED, …; NETWORK_ERROR, BAD_RESPONSE or
   * WIDGET_UNAVAILABLE for failures on the way. */
  readonly code: string | undefined;
  readonly extensions: Record<string, unknown>;
  constructor(message: string, code?: string, extensions?: Record<string, unknown>);
}

export declare class ImbaChatClient {
  constructor(options?: ImbaChatClientOptions);
  readonly state: ChatState;
  readonly signedIn: boolean;
  /** Listen to changes of state; returns a function that stops listening. */
  onChange(listener: (state: ChatState) => void): () => void;
  /** Load the widget script and call ImbaChat.load for the viewer (bare when signed out). */
  start(): Promise<ChatState>;
  /** After the site's own sign-in or sign-out: load the widget for the new viewer. */
  refresh(): Promise<ChatState>;
  /** Stop renewing the token. */
  stop(): void;
  /** The vendor's "Write message": imbaChat.openDialog(userId). Rejects when signed out. */
  openDialog(userId: number | string): Promise<void>;
  /** Chat profiles of these users, in order; unknown ids left out. */
  chatUsers(ids: ReadonlyArray<number | string>): Promise<ChatUser[]>;
  /** One GraphQL operation against the adapter. */
  request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
}
