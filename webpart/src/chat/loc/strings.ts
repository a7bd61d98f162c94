/** Every text the chat shows; one table per language (de.ts, en.ts). */
export interface IChatStrings {
  questionLabel: string;
  questionHint: string;
  send: string;
  newConversation: string;
  conversationLabel: string;
  you: string;
  assistant: string;
  thinking: string;
  sources: string;
  helpful: string;
  notHelpful: string;
  commentLabel: string;
  sendFeedback: string;
  feedbackThanks: string;
  feedbackFailed: string;
  retry: string;
  errorNetwork: string;
  errorAuth: string;
  errorForbidden: string;
  errorRateLimited: string;
  errorTimeout: string;
  errorServer: string;
  errorBadRequest: string;
  emptyState: string;
  siteOnlyNote: string;
}
