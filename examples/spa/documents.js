// The GraphQL documents this page sends, exactly as sent: in production the adapter runs only
// documents whose SHA-256 is in trusted-documents.json (graphql.trusted_documents), so a change
// here needs the manifest regenerated (see README, "Trusted documents").

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
