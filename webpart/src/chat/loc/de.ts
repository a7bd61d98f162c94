import type { IChatStrings } from './strings';

const de: IChatStrings = {
  questionLabel: 'Ihre Frage',
  questionHint: 'Eingabetaste sendet, Umschalt+Eingabe beginnt eine neue Zeile.',
  send: 'Senden',
  newConversation: 'Neue Unterhaltung',
  conversationLabel: 'Unterhaltung mit dem Assistenten',
  you: 'Sie',
  assistant: 'Assistent',
  thinking: 'Die Antwort wird erstellt …',
  sources: 'Quellen',
  helpful: 'Hilfreich',
  notHelpful: 'Nicht hilfreich',
  commentLabel: 'Kommentar (optional)',
  sendFeedback: 'Bewertung senden',
  feedbackThanks: 'Danke für Ihre Rückmeldung.',
  feedbackFailed: 'Die Bewertung konnte nicht gespeichert werden.',
  retry: 'Erneut versuchen',
  errorNetwork: 'Der Assistent ist gerade nicht erreichbar.',
  errorAuth: 'Ihre Anmeldung ist abgelaufen oder ungültig. Bitte laden Sie die Seite neu.',
  errorForbidden: 'Sie haben keinen Zugriff auf den Assistenten.',
  errorRateLimited: 'Gerade kommen zu viele Fragen an. Bitte versuchen Sie es gleich noch einmal.',
  errorTimeout: 'Die Antwort dauert zu lange.',
  errorServer: 'Beim Assistenten ist ein Fehler aufgetreten.',
  errorBadRequest: 'Die Frage konnte nicht angenommen werden:',
  emptyState: 'Fragen Sie etwas zu den Dokumenten, die Sie lesen dürfen.',
  siteOnlyNote: 'Es werden nur Dokumente dieser Website durchsucht.'
};
export default de;
