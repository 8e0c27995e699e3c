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
    // The customer always knows when a machine is answering.
    var who = msg.direction === "inbound" ? box.dataset.you
      : msg.author_type === "assistant" ? box.dataset.assistant : box.dataset.agent;
    appendText(li, who + ": " + msg.text);
    var next = null;  // keep the log in id order even if a message arrives late
    for (var i = log.children.length - 1; i >= 0; i--) {
      if (parseInt(log.children[i].dataset.id, 10) > msg.id) next = log.children[i];
      else break;
    }
    log.insertBefore(li, next);
    if (next === null) offer(li, msg.direction === "inbound" ? [] : msg.quick_replies || []);
    log.scrollTop = log.scrollHeight;
    shownUpTo = Math.max(shownUpTo, msg.id);
  }

  // Message text is never HTML: text nodes, and links only for http(s) addresses and the
  // help center's own paths.
  var LINK = /(https?:\/\/[^\s<>"]+|\/help\/[A-Za-z0-9_\-\/]+)/g;
  function appendText(el, text) {
    var last = 0, m;
    LINK.lastIndex = 0;
    while ((m = LINK.exec(text)) !== null) {
      var href = m[0].replace(/[.,;:!?)]+$/, "");
      el.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = document.createElement("a");
      a.href = href;
      a.textContent = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      el.appendChild(a);
      last = m.index + href.length;
      LINK.lastIndex = last;
    }
    el.appendChild(document.createTextNode(text.slice(last)));
  }

  // Quick replies: buttons under the newest message only; tapping one sends its text.
  function offer(li, replies) {
    var old = log.querySelectorAll(".quick-replies");
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
    if (!replies.length) return;
    var row = document.createElement("div");
    row.className = "quick-replies";
    replies.forEach(function (text) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = text;  // never HTML
      button.addEventListener("click", function () { sendText(text); });
      row.appendChild(button);
    });
    li.appendChild(row);
  }

  // The visitor's language: the embed's data-lang, else the page's lang, else the browser's.
  // The assistant answers in it when a message is too short to tell ("hi", "ok").
  function language() {
    var tag = box.dataset.lang || document.documentElement.lang || navigator.language || "";
    return tag.slice(0, 35) || null;
  }

  function session() {
    return fetch("/widget/v1/session", {
      method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({inbox_id: inbox, token: state.token, language: language()})
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

  function sendText(text) {
    var id = (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random();
    pending[id] = text;
    pendingOrder.push(id);
    send({type: "message", text: text, client_id: id});
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    sendText(text);
    input.value = "";
    setTyping(false);
  });

  start();
})();
