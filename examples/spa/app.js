// The example page: sign in to the demo site, then load the chat for the signed-in user.

import { Chat } from "./chat.js";
import { signIn, signOut } from "./site.js";

const status = document.getElementById("status");
const form = document.getElementById("sign-in");
const signOutButton = document.getElementById("sign-out");
const problem = document.getElementById("problem");

function show({ userId, expiresAt }) {
  const signedIn = userId !== null;
  status.textContent = signedIn
    ? `Signed in as user ${userId}; widget token valid until ${new Date(expiresAt * 1000).toLocaleTimeString()}`
    : "Not signed in: the chat loads with no options.";
  status.dataset.userId = signedIn ? String(userId) : "";
  form.hidden = signedIn;
  signOutButton.hidden = !signedIn;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  problem.textContent = "";
  try {
    await signIn(form.username.value, form.password.value);
    location.reload(); // a widget, once loaded, stays: start the page again as the new user
  } catch (error) {
    problem.textContent = error.message;
  }
});

signOutButton.addEventListener("click", async () => {
  await signOut();
  location.reload();
});

new Chat(show).start().catch((error) => {
  problem.textContent = `The chat could not be loaded: ${error.message}`;
});
