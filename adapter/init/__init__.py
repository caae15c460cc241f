"""`imbachat-adapter init`: from a site's GraphQL endpoint to a working configuration.

introspect  -> the schema, over HTTP with the site's headers
discover    -> the user type and the root fields that fetch, search and identify users
sample      -> a few real users, to learn the ids and the shape of the values
propose     -> the mapping, guessed from field names, types and sampled values
review      -> on a terminal, each guess confirmed or changed
render      -> config.yaml and resolvers/*.graphql, commented with every guess and its reason
verify      -> the written files checked and three users fetched through the whole pipeline
command     -> the typer command tying these together
"""
