// Harbor Makers, the demo community: the site's own sign-in (site.js), and the chat through the
// adapter's client module (ImbaChatClient): the widget for whoever is signed in, its token
// renewed in time, member names and avatars from chatUsers, "Write message" with openDialog.
// Sign-in and sign-out happen without a page reload: the client is asked to refresh. A member
// renames themself on the site; the chat's profile follows through the adapter's change feed.

import { renameMember, signIn, signOut } from "./site.js";

const GRAPHQL_URL = document.querySelector('meta[name="imbachat-graphql"]')?.content || "/graphql";
const { ImbaChatClient } = await import(`${GRAPHQL_URL}/client/imbachat.js`);

const MEMBER_IDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const $ = (selector) => document.querySelector(selector);

const chat = new ImbaChatClient({ graphqlUrl: GRAPHQL_URL, onChange: () => render() });
let members = new Map(); // id -> chatUsers entry, for the signed-in viewer
const asked = new Set(); // profile ids asked for beyond the list (unknown ones stay unknown)
const loading = new Set(); // of those, the ones whose answer has not come yet

function avatar(user, size = "") {
  const initials = (user?.name || "?").split(/\s+/).map((w) => w[0]).join("").slice(0, 2);
  const placeholder = Object.assign(document.createElement("span"), {
    className: `avatar ${size}`,
    textContent: initials.toUpperCase(),
  });
  if (!user?.avatarUrl) return placeholder;
  const image = Object.assign(document.createElement("img"), {
    className: `avatar ${size}`,
    src: user.avatarUrl,
    alt: "",
  });
  // The placeholder takes the image's place and its id (the profile card finds it again).
  image.addEventListener("error", () => image.replaceWith(Object.assign(placeholder, { id: image.id })));
  return image;
}

function button(text, className, onClick) {
  const element = Object.assign(document.createElement("button"), { type: "button", textContent: text });
  if (className) element.className = className;
  element.addEventListener("click", onClick);
  return element;
}

function writeTo(userId) {
  chat.openDialog(userId).catch((error) => alert(error.message));
}

function renderAccount() {
  const account = $("#account");
  const { userId, expiresAt } = chat.state;
  account.dataset.userId = userId === null ? "" : String(userId);
  account.replaceChildren();
  $("#token-note").textContent = "";
  if (userId === null) {
    account.append(button("Sign in", "primary", () => $("#sign-in input[name=username]").focus()));
    return;
  }
  const me = members.get(String(userId));
  const who = Object.assign(document.createElement("span"), { className: "who" });
  const name = Object.assign(document.createElement("span"), {
    className: "who-name",
    textContent: me?.name ?? `Member ${userId}`,
  });
  who.append(avatar(me, "small"), name);
  account.append(who, button("Sign out", "", onSignOut));
  const until = new Date(expiresAt * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  $("#token-note").textContent = `Chat session renews itself before ${until}.`;
}

function renderMembers() {
  const list = $("#member-list");
  list.replaceChildren();
  for (const id of MEMBER_IDS) {
    const user = members.get(String(id));
    if (!user) continue;
    const item = Object.assign(document.createElement("li"), { className: "card member" });
    item.dataset.userId = user.userId;
    const name = Object.assign(document.createElement("a"), {
      className: "name",
      href: `#/members/${user.userId}`,
      textContent: user.name,
    });
    const badge = Object.assign(document.createElement("p"), { className: "badge", textContent: user.badge ?? "" });
    const actions = Object.assign(document.createElement("div"), { className: "actions" });
    const own = String(chat.state.userId) === user.userId;
    if (own) actions.append(Object.assign(document.createElement("span"), { className: "you", textContent: "You" }));
    else actions.append(button("Message", "primary", () => writeTo(user.userId)));
    item.append(avatar(user), name, badge, actions);
    list.append(item);
  }
  showJson(MEMBER_IDS.map(String).filter((id) => members.has(id)));
}

function renderProfile(id) {
  // Every part of the card is set for this id: nothing of the member shown before stays.
  const user = members.get(id);
  const pending = loading.has(id);
  $("#profile-avatar").replaceWith(Object.assign(avatar(user, "large"), { id: "profile-avatar" }));
  $("#profile-name").textContent = user?.name ?? (pending ? "Looking for this member…" : "No such member");
  $("#profile-badge").textContent = user?.badge ?? "";
  $("#profile-link").hidden = !user?.profileUrl;
  $("#profile-link").href = user?.profileUrl ?? "";
  $("#write-message").hidden = !user || String(chat.state.userId) === id;
  $("#write-message").onclick = user ? () => writeTo(id) : null;
  const own = Boolean(user) && String(chat.state.userId) === id;
  if (own && $("#rename").hidden) $("#rename").displayName.value = user.name;
  $("#rename").hidden = !own;
  showJson(user ? [id] : []);
}

async function onRename(event) {
  event.preventDefault();
  const id = String(chat.state.userId);
  const before = members.get(id)?.name;
  const note = $("#rename-note");
  note.textContent = "Saving on the site…";
  try {
    await renameMember(id, event.target.displayName.value);
    const started = performance.now();
    // No webhook and no call from this page: the chat's copy changes when the feed hears it.
    for (let tries = 0; tries < 40 && members.get(id)?.name === before; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await loadMembers();
    }
    const changed = members.get(id)?.name !== before;
    const after = Math.round(performance.now() - started);
    note.textContent = changed
      ? `Saved. The chat's profile changed ${after} ms later, through the site's change feed.`
      : "Saved on the site; the chat still shows the old name (is the change feed down?).";
  } catch (error) {
    note.textContent = error.message;
  }
}

function showJson(ids) {
  const panel = $("#chat-json-panel");
  panel.hidden = ids.length === 0;
  $("#chat-json-call").textContent = `GET /imbachat/v1/users?user_ids=${ids.join(",")}`;
  $("#chat-json").textContent = JSON.stringify(ids.map((id) => members.get(id).chatJson), null, 2);
}

function render() {
  const signedIn = chat.signedIn;
  const route = location.hash.match(/^#\/members\/([^/]+)$/);
  $("#welcome").hidden = signedIn;
  $("#members").hidden = !signedIn || route !== null;
  $("#profile").hidden = !signedIn || route === null;
  if (!signedIn) $("#chat-json-panel").hidden = true;
  renderAccount();
  if (!signedIn) return;
  if (route) {
    if (!members.has(route[1]) && !asked.has(route[1])) {
      asked.add(route[1]);
      loading.add(route[1]);
      loadMembers().finally(() => {
        loading.delete(route[1]);
        render();
      });
    }
    renderProfile(route[1]);
  } else {
    renderMembers();
  }
}

async function loadMembers() {
  if (!chat.signedIn) return;
  const ids = [...new Set([...MEMBER_IDS.map(String), ...asked, String(chat.state.userId)])];
  const found = await chat.chatUsers(ids);
  members = new Map(found.map((user) => [user.userId, user]));
  render();
}

async function onSignIn(event) {
  event.preventDefault();
  const form = event.target;
  $("#problem").textContent = "";
  try {
    await signIn(form.username.value, form.password.value);
    await chat.refresh();
    await loadMembers();
  } catch (error) {
    $("#problem").textContent = error.message;
  }
}

async function onSignOut() {
  await signOut();
  members = new Map();
  location.hash = "#/";
  await chat.refresh();
}

$("#sign-in").addEventListener("submit", onSignIn);
$("#rename").addEventListener("submit", onRename);
// Signed out, the member list is behind the sign-in: the link says so instead of doing nothing.
$("#nav-members").addEventListener("click", (event) => {
  if (chat.signedIn) return;
  event.preventDefault();
  $("#problem").textContent = "Sign in to see the members.";
  $("#sign-in input[name=username]").focus();
});
window.addEventListener("hashchange", render);

try {
  await chat.start();
  if (chat.signedIn) await loadMembers();
  render();
} catch (error) {
  $("#problem").textContent = `The chat could not be loaded: ${error.message}`;
  render();
}
