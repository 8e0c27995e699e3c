"""Channel adapters: verify, parse and send, one module per channel. No storage, no web."""
