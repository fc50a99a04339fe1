"""Messages and signals: correlation to waiting scopes and start events, and the start-event
subscriptions a deployment keeps."""
