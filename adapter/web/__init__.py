"""The web layer: the chat-facing REST routes, the frontend-facing GraphQL API, and middleware."""
