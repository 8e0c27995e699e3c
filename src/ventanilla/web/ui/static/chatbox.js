// A plain chat box wired to the widget endpoint: session, socket, resume after reconnect.
(function () {
  "use strict";
  var box = document.getElementById("chat");
  if (!box) return;
  var inbox = parseInt(box.dataset.inbox, 10);
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var status = document.getElementById("chat-status");
  var key = "ventanilla:" + inbox;
  var state = JSON.parse(localStorage.getItem(key) || "{}");
  var ws = null, backoff = 500, seen = {};

  function save() { localStorage.setItem(key, JSON.stringify(state)); }

  function show(msg) {
    if (seen[msg.id]) return;
    seen[msg.id] = true;
    var li = document.createElement("li");
    li.className = msg.direction === "inbound" ? "mine" : "theirs";
    li.dataset.id = msg.id;
    var who = msg.direction === "inbound" ? box.dataset.you : box.dataset.agent;
    li.textContent = who + ": " + msg.text;  // textContent: customer text is never HTML
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    state.after = Math.max(state.after || 0, msg.id);
    save();
  }

  function session() {
    return fetch("/widget/v1/session", {
      method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({inbox_id: inbox, token: state.token || null})
    }).then(function (r) { return r.json(); }).then(function (data) {
      state.token = data.token; save();
    });
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/widget/v1/ws?token=" + encodeURIComponent(state.token));
    ws.onopen = function () {
      backoff = 500;
      status.textContent = box.dataset.online;
      ws.send(JSON.stringify({type: "hello", after: state.after || 0}));
    };
    ws.onmessage = function (e) {
      var data = JSON.parse(e.data);
      if (data.type === "message") show(data.message);
    };
    ws.onclose = function (e) {
      status.textContent = box.dataset.offline;
      if (e.code === 4401) { state.token = null; save(); start(); return; }
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  function start() { session().then(connect); }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || !ws || ws.readyState !== 1) return;
    var id = (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random();
    ws.send(JSON.stringify({type: "message", text: text, client_id: id}));
    input.value = "";
  });

  start();
})();
