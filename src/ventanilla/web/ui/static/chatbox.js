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
  var typingNote = document.getElementById("chat-typing");
  var key = "ventanilla:" + inbox;
  var state = load();
  // Per page: the highest message id shown (a fresh page asks for the whole history) and
  // the messages sent but not yet acknowledged (resent after a reconnect, stored once).
  var shownUpTo = 0, seen = {}, pending = {}, pendingOrder = [];
  var ws = null, backoff = 500, typingOn = false, typingTimer = null, agentTypingTimer = null;

  function load() {
    try { return {token: JSON.parse(localStorage.getItem(key) || "{}").token || null}; }
    catch (e) { return {token: null}; }
  }

  function save() { localStorage.setItem(key, JSON.stringify({token: state.token})); }

  function show(msg) {
    if (seen[msg.id]) return;
    seen[msg.id] = true;
    var li = document.createElement("li");
    li.className = msg.direction === "inbound" ? "mine" : "theirs";
    li.dataset.id = msg.id;
    var who = msg.direction === "inbound" ? box.dataset.you : box.dataset.agent;
    li.textContent = who + ": " + msg.text;  // textContent: message text is never HTML
    var next = null;  // keep the log in id order even if a message arrives late
    for (var i = log.children.length - 1; i >= 0; i--) {
      if (parseInt(log.children[i].dataset.id, 10) > msg.id) next = log.children[i];
      else break;
    }
    log.insertBefore(li, next);
    log.scrollTop = log.scrollHeight;
    shownUpTo = Math.max(shownUpTo, msg.id);
  }

  function session() {
    return fetch("/widget/v1/session", {
      method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({inbox_id: inbox, token: state.token})
    }).then(function (r) {
      if (!r.ok) throw new Error("session refused: " + r.status);
      return r.json();
    }).then(function (data) { state.token = data.token; save(); });
  }

  function send(frame) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }

  function flushPending() {
    pendingOrder.forEach(function (id) {
      if (pending[id]) send({type: "message", text: pending[id], client_id: id});
    });
  }

  function settle(clientId) {
    delete pending[clientId];
    pendingOrder = pendingOrder.filter(function (id) { return id !== clientId; });
  }

  function onFrame(data) {
    if (data.type === "message") show(data.message);
    else if (data.type === "ack") settle(data.client_id);
    else if (data.type === "error" && data.client_id) settle(data.client_id);
    else if (data.type === "typing" && typingNote) {
      typingNote.hidden = !data.on;
      clearTimeout(agentTypingTimer);
      if (data.on) agentTypingTimer = setTimeout(function () { typingNote.hidden = true; }, 6000);
    }
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/widget/v1/ws?token=" + encodeURIComponent(state.token));
    ws.onopen = function () {
      backoff = 500;
      status.textContent = box.dataset.online;
      send({type: "hello", after: shownUpTo});
      flushPending();
    };
    ws.onmessage = function (e) { onFrame(JSON.parse(e.data)); };
    ws.onclose = function (e) {
      status.textContent = box.dataset.offline;
      if (e.code === 4401) { state.token = null; save(); }
      retry(e.code === 4401 ? start : connect);
    };
  }

  function retry(fn) {
    setTimeout(fn, backoff);
    backoff = Math.min(backoff * 2, 10000);
  }

  function start() { session().then(connect, function () { retry(start); }); }

  function setTyping(on) {
    if (on !== typingOn) { typingOn = on; send({type: "typing", on: on}); }
  }

  input.addEventListener("input", function () {
    setTyping(input.value.trim() !== "");
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { setTyping(false); }, 4000);
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    var id = (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random();
    pending[id] = text;
    pendingOrder.push(id);
    send({type: "message", text: text, client_id: id});
    input.value = "";
    setTyping(false);
  });

  start();
})();
