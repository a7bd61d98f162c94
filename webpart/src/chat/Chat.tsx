/**
 * The assistant's chat: one component for both hosts (the SharePoint web part and the dev page
 * the server shows at `/` in DEV_MODE). The host gives it an AskClient (which adds the Entra
 * token or the demo user), the language and, optionally, the site to restrict retrieval to.
 */
import * as React from 'react';
import { DefaultButton, PrimaryButton } from '@fluentui/react/lib/Button';
import { AskClient, AskError, AskErrorKind, IAnswer } from './api';
import { Language, stringsFor, IChatStrings } from './loc';
import { renderMarkdown, safeHref } from './markdown';
import { classes } from './styles';

export interface IChatProps {
  title: string;
  language: Language;
  client: AskClient;
  /** Graph site id: only this site's documents are searched. */
  site?: string;
  /** Host controls shown under the title (the dev page's demo-user picker). */
  toolbar?: React.ReactNode;
}

interface ITurn {
  id: string;
  question: string;
  text: string;
  streaming: boolean;
  answer?: IAnswer;
  error?: { kind: AskErrorKind; detail: string; retryAfterS?: number };
}

let counter = 0;
function newId(): string {
  const c = typeof crypto !== 'undefined' ? (crypto as Crypto & { randomUUID?: () => string }) : undefined;
  return c?.randomUUID ? c.randomUUID() : `c${Date.now().toString(36)}${(counter++).toString(36)}`;
}

function errorText(strings: IChatStrings, error: NonNullable<ITurn['error']>): string {
  switch (error.kind) {
    case 'network':
      return strings.errorNetwork;
    case 'auth':
      return strings.errorAuth;
    case 'forbidden':
      return strings.errorForbidden;
    case 'rateLimited':
      return strings.errorRateLimited;
    case 'timeout':
      return strings.errorTimeout;
    case 'badRequest':
      return `${strings.errorBadRequest} ${error.detail}`;
    default:
      return strings.errorServer;
  }
}

const Markdown: React.FC<{ text: string; className?: string }> = ({ text, className }) => (
  // renderMarkdown returns sanitised HTML only (markdown.ts): no raw HTML, no unsafe links.
  <div className={className} dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />
);

const Feedback: React.FC<{ answerId: string; client: AskClient; strings: IChatStrings }> = ({ answerId, client, strings }) => {
  const [reaction, setReaction] = React.useState<'like' | 'dislike' | undefined>();
  const [comment, setComment] = React.useState('');
  const [state, setState] = React.useState<'idle' | 'sending' | 'sent' | 'failed'>('idle');
  const commentId = `comment-${answerId}`;
  const send = async (): Promise<void> => {
    if (!reaction) return;
    setState('sending');
    try {
      await client.feedback(answerId, reaction, comment.trim());
      setState('sent');
    } catch {
      setState('failed');
    }
  };
  if (state === 'sent') return <p className={classes.note} role="status">{strings.feedbackThanks}</p>;
  return (
    <div className={classes.feedback}>
      <div role="group" aria-label={`${strings.helpful} / ${strings.notHelpful}`} className={classes.row}>
        <DefaultButton aria-pressed={reaction === 'like'} checked={reaction === 'like'} onClick={() => setReaction('like')} text={`👍 ${strings.helpful}`} />
        <DefaultButton aria-pressed={reaction === 'dislike'} checked={reaction === 'dislike'} onClick={() => setReaction('dislike')} text={`👎 ${strings.notHelpful}`} />
      </div>
      {reaction && (
        <div className={classes.commentBox}>
          <label htmlFor={commentId} className={classes.label}>{strings.commentLabel}</label>
          <textarea id={commentId} className={classes.textarea} rows={2} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />
          <PrimaryButton onClick={send} disabled={state === 'sending'} text={strings.sendFeedback} />
          {state === 'failed' && <p role="alert" className={classes.error}>{strings.feedbackFailed}</p>}
        </div>
      )}
    </div>
  );
};

export const Chat: React.FC<IChatProps> = ({ title, language, client, site, toolbar }) => {
  const strings = stringsFor(language);
  const [turns, setTurns] = React.useState<ITurn[]>([]);
  const [draft, setDraft] = React.useState('');
  const [conversationId, setConversationId] = React.useState(newId);
  const input = React.useRef<HTMLTextAreaElement>(null);
  const cancel = React.useRef<AbortController | undefined>();
  const busy = turns.some((t) => t.streaming);
  const questionId = React.useMemo(() => `question-${newId()}`, []);

  React.useEffect(() => () => cancel.current?.abort(), []);

  const update = (id: string, change: (turn: ITurn) => ITurn): void =>
    setTurns((all) => all.map((t) => (t.id === id ? change(t) : t)));

  const run = async (id: string, question: string, conversation: string): Promise<void> => {
    update(id, (t) => ({ ...t, text: '', streaming: true, error: undefined, answer: undefined }));
    const controller = new AbortController();
    cancel.current = controller;
    try {
      const answer = await client.ask(
        { question, conversationId: conversation, language, site },
        (delta) => update(id, (t) => ({ ...t, text: t.text + delta })),
        controller.signal
      );
      update(id, (t) => ({ ...t, text: answer.answer, answer, streaming: false }));
    } catch (error) {
      if (controller.signal.aborted && cancel.current !== controller) return;
      const e = error instanceof AskError ? error : new AskError('server', String(error));
      update(id, (t) => ({ ...t, streaming: false, error: { kind: e.kind, detail: e.message, retryAfterS: e.retryAfterS } }));
    }
  };

  const submit = (event?: React.FormEvent): void => {
    event?.preventDefault();
    const question = draft.trim();
    input.current?.focus();
    if (!question || busy) return;
    const id = newId();
    setTurns((all) => [...all, { id, question, text: '', streaming: true }]);
    setDraft('');
    void run(id, question, conversationId);
  };

  const startOver = (): void => {
    cancel.current?.abort();
    cancel.current = undefined;
    setTurns([]);
    setConversationId(newId());
    input.current?.focus();
  };

  return (
    <section className={classes.root} lang={language} aria-label={title}>
      <div className={classes.header}>
        <h2 className={classes.title}>{title}</h2>
        <DefaultButton onClick={startOver} text={strings.newConversation} />
      </div>
      {toolbar}
      {site && <p className={classes.note}>{strings.siteOnlyNote}</p>}
      <div className={classes.log} role="log" aria-live="polite" aria-label={strings.conversationLabel} aria-busy={busy}>
        {turns.length === 0 && <p className={classes.note}>{strings.emptyState}</p>}
        {turns.map((turn) => (
          <article key={turn.id} className={classes.turn}>
            <p className={classes.question}>
              <span className={classes.who}>{strings.you}:</span> {turn.question}
            </p>
            <div className={classes.answer} data-testid="answer">
              <span className={classes.who}>{strings.assistant}:</span>
              {turn.text ? <Markdown text={turn.text} /> : turn.streaming ? <p className={classes.note}>{strings.thinking}</p> : null}
            </div>
            {turn.answer && turn.answer.citations.length > 0 && (
              <div>
                <h3 className={classes.sourcesTitle}>{strings.sources}</h3>
                <ol className={classes.sources}>
                  {turn.answer.citations.map((c) => {
                    const href = safeHref(c.url);
                    return (
                      <li key={c.number} value={c.number}>
                        {href ? (
                          <a href={href} target="_blank" rel="noopener noreferrer" className={classes.link}>{c.title}</a>
                        ) : (
                          <span>{c.title}</span>
                        )}
                        {c.snippet && <Markdown text={c.snippet} className={classes.snippet} />}
                      </li>
                    );
                  })}
                </ol>
              </div>
            )}
            {turn.error && (
              <div role="alert" className={classes.error}>
                <span>{errorText(strings, turn.error)}</span>{' '}
                <DefaultButton onClick={() => void run(turn.id, turn.question, conversationId)} text={strings.retry} disabled={busy} />
              </div>
            )}
            {turn.answer && turn.answer.answer_id && <Feedback answerId={turn.answer.answer_id} client={client} strings={strings} />}
          </article>
        ))}
      </div>
      <form className={classes.form} onSubmit={submit}>
        <label htmlFor={questionId} className={classes.label}>{strings.questionLabel}</label>
        <div className={classes.row}>
          <textarea
            id={questionId}
            ref={input}
            className={classes.textarea}
            rows={2}
            value={draft}
            aria-describedby={`${questionId}-hint`}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
            }}
          />
          <PrimaryButton type="submit" text={strings.send} disabled={busy} />
        </div>
        <p id={`${questionId}-hint`} className={classes.note}>{strings.questionHint}</p>
      </form>
    </section>
  );
};
