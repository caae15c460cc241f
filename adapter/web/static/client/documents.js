// The GraphQL documents the client sends, exactly as sent. They are the trusted documents'
// manifest (examples/spa/trusted-documents.json; graphql.trusted_documents): a change here
// needs the manifest regenerated, and a test fails until it is.

export const CHAT_WIDGET = `query ChatWidget {
  chatWidget {
    scriptUrl
    options
    userId
    expiresAt
  }
}`;

export const ISSUE_CHAT_TOKEN = `mutation IssueChatToken {
  issueChatToken {
    token
    userId
    expiresAt
  }
}`;

export const CHAT_USERS = `query ChatUsers($ids: [ID!]!) {
  chatUsers(ids: $ids) {
    userId
    name
    avatarUrl
    profileUrl
    badge
    chatJson
  }
}`;
