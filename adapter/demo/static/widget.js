// A stand-in for the ImbaChat widget script, for the demo page and the browser test: the real
// script is on the internet. It records every call to ImbaChat.load (in
// window.__imbachatStandIn.calls) and shows a small panel with the user's name and avatar,
// read from the adapter's chatUsers query.
(function () {
  "use strict";

  var CHAT_USERS = "query ChatUsers($ids: [ID!]!) {\n  chatUsers(ids: $ids) {\n    userId\n    name\n    avatarUrl\n  }\n}";
  var script = document.currentScript;
  var graphqlUrl = (script && script.dataset.graphql) || "/graphql";
  var record = (window.__imbachatStandIn = window.__imbachatStandIn || {
    calls: [],
    dialogs: [],
    rendered: null,
  });

  function panel() {
    var element = document.getElementById("imbachat-stand-in");
    if (!element) {
      element = document.createElement("aside");
      element.id = "imbachat-stand-in";
      element.setAttribute(
        "style",
        "position:fixed;right:1rem;bottom:1rem;width:16rem;padding:.8rem;border-radius:10px;" +
          "background:#1f6feb;color:#fff;font:14px/1.4 system-ui,sans-serif;" +
          "box-shadow:0 6px 24px rgba(0,0,0,.25);display:flex;gap:.7rem;align-items:center"
      );
      document.body.appendChild(element);
    }
    element.replaceChildren();
    return element;
  }

  function avatar(url, name) {
    var initials = document.createElement("span");
    initials.textContent = (name || "?").split(/\s+/).map(function (w) { return w[0]; }).join("").slice(0, 2);
    initials.setAttribute(
      "style",
      "flex:none;width:2.6rem;height:2.6rem;border-radius:50%;background:#fff;color:#1f6feb;" +
        "display:flex;align-items:center;justify-content:center;font-weight:700"
    );
    if (!url || !/^https?:\/\//.test(url)) return initials;
    var image = document.createElement("img");
    image.alt = "";
    image.src = url;
    image.setAttribute("style", "flex:none;width:2.6rem;height:2.6rem;border-radius:50%");
    image.onerror = function () { image.replaceWith(initials); }; // offline demo CDN
    return image;
  }

  function text(lines) {
    var box = document.createElement("div");
    lines.forEach(function (line, index) {
      var row = document.createElement(index === 0 ? "strong" : "div");
      row.textContent = line;
      box.appendChild(row);
      if (index === 0) box.appendChild(document.createElement("br"));
    });
    return box;
  }

  function render(options) {
    var element = panel();
    if (!options) {
      element.dataset.userId = "";
      element.appendChild(text(["ImbaChat (stand-in)", "Signed out: loaded with no options"]));
      record.rendered = { userId: null, name: null };
      return Promise.resolve();
    }
    element.dataset.userId = String(options.user_id);
    element.appendChild(text(["ImbaChat (stand-in)", "Loading user " + options.user_id + "…"]));
    return fetch(graphqlUrl, {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query: CHAT_USERS, variables: { ids: [String(options.user_id)] } }),
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        var user = body.data && body.data.chatUsers && body.data.chatUsers[0];
        var name = user ? user.name : "unknown user " + options.user_id;
        element.replaceChildren(
          avatar(user && user.avatarUrl, name),
          text(["ImbaChat (stand-in)", name, "user_id " + options.user_id + ", token received"])
        );
        element.dataset.name = name;
        record.rendered = { userId: options.user_id, name: name };
      });
  }

  window.ImbaChat = {
    load: function () {
      var options = arguments.length ? JSON.parse(JSON.stringify(arguments[0])) : undefined;
      record.calls.push({ argumentCount: arguments.length, options: options });
      return render(options);
    },
    openDialog: function (userId) {
      record.dialogs.push(userId);
    },
  };
  window.imbaChat = window.ImbaChat;
})();
