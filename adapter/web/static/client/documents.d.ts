/** `query ChatWidget { chatWidget { scriptUrl options userId expiresAt } }` */
export declare const CHAT_WIDGET: string;
/** `mutation IssueChatToken { issueChatToken { token userId expiresAt } }` */
export declare const ISSUE_CHAT_TOKEN: string;
/** `query ChatUsers($ids: [ID!]!) { chatUsers(ids: $ids) { userId name avatarUrl profileUrl badge chatJson } }` */
export declare const CHAT_USERS: string;
