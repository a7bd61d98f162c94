import de from './de';
import en from './en';
import type { IChatStrings } from './strings';

export type { IChatStrings };
export type Language = 'de' | 'en';

/** German for any German locale (de-DE, de-AT, de-CH …), English otherwise. */
export function languageOf(locale: string | undefined | null): Language {
  return (locale || '').toLowerCase().startsWith('de') ? 'de' : 'en';
}

export function stringsFor(language: Language): IChatStrings {
  return language === 'de' ? de : en;
}
