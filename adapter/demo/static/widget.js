// A stand-in for the ImbaChat widget script, for the demo page and the browser tests: the real
// script is on the internet. It records every call (window.__imbachatStandIn: `calls` for
// ImbaChat.load, `dialogs` for openDialog) and draws a chat window in the corner: the viewer's
// name and avatar, and the conversation openDialog asked for, read from the adapter's chatUsers
// query. Messages are not sent anywhere.
(function () {
  "use strict";

  // The client's own document (adapter/web/static/client/documents.js), so one manifest fits.
  var CHAT_USERS = "query ChatUsers($ids: [ID!]!) {\n  chatUsers(ids: $ids) {\n    userId\n    name\n    avatarUrl\n    profileUrl\n    badge\n    chatJson\n  }\n}";
  var script = document.currentScript;
  var graphqlUrl = (script && script.dataset.graphql) || "/graphql";
  var record = (window.__imbachatStandIn = window.__imbachatStandIn || {
    calls: [],
    dialogs: [],
    rendered: null,
  });
  var viewer = null; // {userId, name, avatarUrl} once loaded for a signed-in user
  var dialog = null; // {userId, name, avatarUrl} of the open conversation
  var open = false;

  var STYLE =
    "#imbachat-stand-in{position:fixed;right:20px;bottom:20px;z-index:1000;font:14px/1.4 system-ui,sans-serif;color:#1c2430}" +
    "#imbachat-stand-in .ic-launcher{display:flex;align-items:center;gap:10px;margin-left:auto;padding:10px 16px 10px 10px;border:0;border-radius:999px;background:#0f766e;color:#fff;font:600 14px system-ui,sans-serif;box-shadow:0 8px 24px rgba(15,23,42,.25);cursor:pointer}" +
    "#imbachat-stand-in .ic-window{width:340px;height:430px;display:flex;flex-direction:column;border-radius:14px;background:#fff;box-shadow:0 18px 48px rgba(15,23,42,.28);overflow:hidden;margin-bottom:12px}" +
    "#imbachat-stand-in .ic-head{display:flex;align-items:center;gap:10px;padding:12px 14px;background:#0f766e;color:#fff}" +
    "#imbachat-stand-in .ic-head strong{display:block;font-size:15px}#imbachat-stand-in .ic-head small{opacity:.85}" +
    "#imbachat-stand-in .ic-close{margin-left:auto;border:0;background:transparent;color:#fff;font-size:20px;cursor:pointer}" +
    "#imbachat-stand-in .ic-body{flex:1;padding:14px;background:#f4f6f8;overflow:auto;display:flex;flex-direction:column;gap:10px}" +
    "#imbachat-stand-in .ic-note{align-self:center;max-width:90%;padding:6px 10px;border-radius:8px;background:#e2e8f0;color:#475569;font-size:12px;text-align:center}" +
    "#imbachat-stand-in .ic-input{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e8f0}" +
    "#imbachat-stand-in .ic-input input{flex:1;padding:9px 12px;border:1px solid #cbd5e1;border-radius:999px;font:inherit}" +
    "#imbachat-stand-in .ic-input button{border:0;border-radius:999px;padding:0 14px;background:#0f766e;color:#fff;font:600 13px system-ui,sans-serif;opacity:.6}" +
    "#imbachat-stand-in .ic-avatar{flex:none;width:36px;height:36px;border-radius:50%;object-fit:cover;background:#fff;color:#0f766e;display:flex;align-items:center;justify-content:center;font-weight:700}" +
    "#imbachat-stand-in .ic-tag{font-size:11px;opacity:.75;font-weight:400}";

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function root() {
    var node = document.getElementById("imbachat-stand-in");
    if (!node) {
      var style = element("style");
      style.textContent = STYLE;
      document.head.appendChild(style);
      node = element("div");
      node.id = "imbachat-stand-in";
      document.body.appendChild(node);
    }
    return node;
  }

  function avatar(person) {
    var initials = element("span", "ic-avatar", initialsOf(person && person.name));
    var url = person && person.avatarUrl;
    if (!url || !/^(https?:\/\/|\/)/.test(url)) return initials;
    var image = element("img", "ic-avatar");
    image.alt = "";
    image.src = url;
    image.onerror = function () { image.replaceWith(initials); };
    return image;
  }

  function initialsOf(name) {
    return (name || "?").split(/\s+/).map(function (w) { return w.charAt(0); }).join("").slice(0, 2).toUpperCase();
  }

  function chatUser(userId) {
    return fetch(graphqlUrl, {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query: CHAT_USERS, variables: { ids: [String(userId)] } }),
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        var user = body.data && body.data.chatUsers && body.data.chatUsers[0];
        return user
          ? { userId: String(userId), name: user.name, avatarUrl: user.avatarUrl }
          : { userId: String(userId), name: "user " + userId, avatarUrl: null };
      });
  }

  function conversation() {
    var box = element("section", "ic-window");
    box.setAttribute("aria-label", "Chat with " + dialog.name);
    var head = element("header", "ic-head");
    var title = element("div");
    title.appendChild(element("strong", "", dialog.name));
    title.appendChild(element("small", "", "Conversation · ImbaChat stand-in"));
    var close = element("button", "ic-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close the conversation");
    close.onclick = function () { open = false; render(); };
    head.append(avatar(dialog), title, close);
    var body = element("div", "ic-body");
    // A note, not a bubble: a bubble would read as a message from them.
    body.appendChild(element("div", "ic-note", "You and " + dialog.name + " have no messages yet: write the first one below."));
    body.appendChild(element("div", "ic-note", "This demo's stand-in widget sends no messages; the real one comes from imbachat.com."));
    var input = element("form", "ic-input");
    var field = element("input");
    field.placeholder = "Write a message to " + dialog.name + "…";
    field.disabled = true;
    var send = element("button", "", "Send");
    send.type = "button";
    send.disabled = true;
    input.append(field, send);
    box.append(head, body, input);
    return box;
  }

  function launcher() {
    var button = element("button", "ic-launcher");
    button.type = "button";
    if (viewer) {
      var label = element("span");
      label.appendChild(document.createTextNode(open ? "Hide chat" : "Messages"));
      label.appendChild(element("div", "ic-tag", viewer.name));
      button.append(avatar(viewer), label);
      button.onclick = function () { open = !open && dialog !== null; render(); };
    } else {
      button.textContent = "Chat · sign in to talk to members";
      button.disabled = true;
    }
    return button;
  }

  function render() {
    var node = root();
    node.dataset.userId = viewer ? viewer.userId : "";
    node.dataset.name = viewer ? viewer.name : "";
    node.dataset.dialogUserId = dialog && open ? dialog.userId : "";
    node.dataset.dialogName = dialog && open ? dialog.name : "";
    node.replaceChildren();
    if (viewer && dialog && open) node.appendChild(conversation());
    node.appendChild(launcher());
  }

  function load(options) {
    if (!options) {
      viewer = null;
      dialog = null;
      open = false;
      record.rendered = { userId: null, name: null };
      render();
      return Promise.resolve();
    }
    var userId = options.user_id;
    viewer = { userId: String(userId), name: "user " + userId, avatarUrl: null };
    render();
    return chatUser(userId).then(function (user) {
      if (!viewer || viewer.userId !== String(userId)) return; // loaded again meanwhile
      viewer = user;
      record.rendered = { userId: userId, name: user.name };
      render();
    });
  }

  window.ImbaChat = {
    load: function () {
      var options = arguments.length ? JSON.parse(JSON.stringify(arguments[0])) : undefined;
      record.calls.push({ argumentCount: arguments.length, options: options });
      return load(options);
    },
    openDialog: function (userId) {
      record.dialogs.push(userId);
      if (!viewer) return Promise.resolve();
      dialog = { userId: String(userId), name: "user " + userId, avatarUrl: null };
      open = true;
      render();
      return chatUser(userId).then(function (user) {
        if (!dialog || dialog.userId !== String(userId)) return;
        dialog = user;
        render();
      });
    },
  };
  window.imbaChat = window.ImbaChat;
})();
