// Signing in and out of the *demo site* (the demo upstream served at /demo-upstream). A real
// site has its own sign-in; the adapter only ever asks the site who is signed in.

const SITE_GRAPHQL_URL =
  document.querySelector('meta[name="site-graphql"]')?.content || "/demo-upstream/graphql";

async function site(query, variables) {
  const response = await fetch(SITE_GRAPHQL_URL, {
    method: "POST",
    credentials: "include",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

export async function signIn(username, password) {
  const data = await site(
    `mutation Login($username: String!, $password: String!) {
      login(username: $username, password: $password) { user { id username } }
    }`,
    { username, password },
  );
  if (!data.login) throw new Error("Wrong username or password");
  return data.login.user;
}

export async function signOut() {
  await site("mutation Logout { logout }");
}

// An edit on the site itself: the site publishes it (its usersChanged subscription), and the
// adapter's change feed refreshes the chat's copy; the page does nothing more.
export async function renameMember(id, displayName) {
  await site(
    `mutation Rename($id: ID!, $displayName: String!) {
      renameMember(id: $id, displayName: $displayName) { id }
    }`,
    { id, displayName },
  );
}
