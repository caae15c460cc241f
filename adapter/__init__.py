"""imbachat-adapter: ImbaChat's site callbacks answered from a site's GraphQL API."""
