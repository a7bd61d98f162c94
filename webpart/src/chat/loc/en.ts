import type { IChatStrings } from './strings';

const en: IChatStrings = {
  questionLabel: 'Your question',
  questionHint: 'Enter sends, Shift+Enter starts a new line.',
  send: 'Send',
  newConversation: 'New conversation',
  conversationLabel: 'Conversation with the assistant',
  you: 'You',
  assistant: 'Assistant',
  thinking: 'Writing the answer …',
  sources: 'Sources',
  helpful: 'Helpful',
  notHelpful: 'Not helpful',
  commentLabel: 'Comment (optional)',
  sendFeedback: 'Send rating',
  feedbackThanks: 'Thank you for your feedback.',
  feedbackFailed: 'The rating could not be saved.',
  retry: 'Try again',
  errorNetwork: 'The assistant cannot be reached right now.',
  errorAuth: 'Your sign-in has expired or is not valid. Please reload the page.',
  errorForbidden: 'You do not have access to the assistant.',
  errorRateLimited: 'Too many questions are arriving right now. Please try again in a moment.',
  errorTimeout: 'The answer is taking too long.',
  errorServer: 'Something went wrong in the assistant.',
  errorBadRequest: 'The question was not accepted:',
  emptyState: 'Ask about the documents you are allowed to read.',
  siteOnlyNote: "Only this site's documents are searched."
};
export default en;
