"""HTTP and WebSocket surface: thin routes that parse, authorise, call one service, render."""
