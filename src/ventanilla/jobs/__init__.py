"""Background work: the outbox runner (deliveries, webhooks) and periodic sweeps."""
