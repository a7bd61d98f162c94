import * as React from 'react';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { AskClient } from './api';
import { Chat } from './Chat';
import { languageOf } from './loc';

/** A stand-in for the server side of fetch: each call gets the next scripted response. */
class FakeServer {
  public calls: { url: string; body: any; headers: Record<string, string> }[] = [];
  private _streams: ReadableStreamDefaultController<Uint8Array>[] = [];
  public constructor(private readonly _responses: (() => Promise<Response> | Response)[]) {}

  public fetch = async (url: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    this.calls.push({ url: String(url), body: JSON.parse(String(init?.body)), headers: init?.headers as Record<string, string> });
    const next = this._responses.shift();
    if (!next) throw new TypeError('Failed to fetch');
    return next();
  };

  /** A streamed answer whose events the test sends one by one. */
  public stream = (): Response => {
    const body = new ReadableStream<Uint8Array>({ start: (c) => void this._streams.push(c) });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };

  public send(event: string, data: object): void {
    this._streams[this._streams.length - 1].enqueue(new TextEncoder().encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
  }

  public end(): void {
    this._streams[this._streams.length - 1].close();
  }
}

function sse(events: [string, object][]): () => Response {
  return () => new Response(events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join(''), { status: 200 });
}

function json(status: number, body: object, headers: Record<string, string> = {}): () => Response {
  return () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

const ANSWER = {
  answer: 'Das Hotel-Limit liegt bei **120 EUR** pro Nacht [1].',
  citations: [
    { number: 1, title: 'Reisekostenrichtlinie', url: 'https://contoso.sharepoint.com/sites/hr/Reisekosten.docx', snippet: 'Hotel: 120 EUR' },
    { number: 2, title: 'Böser Link', url: 'javascript:alert(1)', snippet: '<img src=x onerror="window.hacked=1">' }
  ],
  outcome: 'answered',
  language: 'de',
  answer_id: 'a1',
  conversation_id: 'c'
};

function setup(server: FakeServer, language: 'de' | 'en' = 'de', timeoutMs = 5000) {
  const client = new AskClient({
    baseUrl: 'https://assistant.example/',
    credentials: async () => ({ headers: { Authorization: 'Bearer t0k3n' } }),
    fetchImpl: server.fetch as typeof fetch,
    timeoutMs
  });
  render(<Chat title="Assistent" language={language} client={client} site="host,site,web" />);
  const box = screen.getByLabelText(language === 'de' ? 'Ihre Frage' : 'Your question') as HTMLTextAreaElement;
  const ask = (question: string): void => {
    box.focus();
    fireEvent.change(box, { target: { value: question } });
    fireEvent.keyDown(box, { key: 'Enter' });
  };
  return { box, ask, log: screen.getByRole('log') };
}

afterEach(cleanup);

describe('streaming', () => {
  it('grows the answer in the live region while it streams, then shows citations as links', async () => {
    const server = new FakeServer([]);
    (server as any)._responses.push(server.stream);
    const { box, ask, log } = setup(server);
    ask('Wie hoch ist das Hotel-Limit?');
    expect(document.activeElement).toBe(box);
    expect(box.value).toBe('');
    await waitFor(() => expect(server.calls).toHaveLength(1));
    expect(server.calls[0].url).toBe('https://assistant.example/api/ask');
    expect(server.calls[0].headers.Authorization).toBe('Bearer t0k3n');
    expect(server.calls[0].headers.Accept).toBe('text/event-stream');
    expect(server.calls[0].body).toMatchObject({ question: 'Wie hoch ist das Hotel-Limit?', site: 'host,site,web' });
    expect(log.getAttribute('aria-live')).toBe('polite');
    await act(async () => server.send('delta', { text: 'Das Hotel-Limit ' }));
    await waitFor(() => expect(log.textContent).toContain('Das Hotel-Limit'));
    const first = log.textContent!.length;
    await act(async () => server.send('delta', { text: 'liegt bei 120 EUR' }));
    await waitFor(() => expect(log.textContent!.length).toBeGreaterThan(first));
    expect(log.getAttribute('aria-busy')).toBe('true');
    await act(async () => {
      server.send('answer', ANSWER);
      server.end();
    });
    const link = await screen.findByRole('link', { name: 'Reisekostenrichtlinie' });
    expect(link.getAttribute('href')).toBe('https://contoso.sharepoint.com/sites/hr/Reisekosten.docx');
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toContain('noopener');
    expect(log.querySelector('strong')?.textContent).toBe('120 EUR');
    expect(log.getAttribute('aria-busy')).toBe('false');
    expect(document.activeElement).toBe(box);
  });

  it('sends follow-ups in the same conversation and starts a new one on request', async () => {
    const server = new FakeServer([sse([['answer', ANSWER]]), sse([['answer', ANSWER]]), sse([['answer', ANSWER]])]);
    const { ask } = setup(server);
    ask('Erste Frage');
    await screen.findAllByRole('link', { name: 'Reisekostenrichtlinie' });
    ask('Und im Ausland?');
    await waitFor(() => expect(screen.getAllByRole('link', { name: 'Reisekostenrichtlinie' })).toHaveLength(2));
    expect(server.calls[1].body.conversation_id).toBe(server.calls[0].body.conversation_id);
    fireEvent.click(screen.getByRole('button', { name: 'Neue Unterhaltung' }));
    expect(screen.queryAllByRole('link', { name: 'Reisekostenrichtlinie' })).toHaveLength(0);
    ask('Neue Frage');
    await waitFor(() => expect(server.calls).toHaveLength(3));
    expect(server.calls[2].body.conversation_id).not.toBe(server.calls[0].body.conversation_id);
  });
});

describe('sanitising', () => {
  it('never runs HTML or javascript: links from the model or a document', async () => {
    const hostile = {
      ...ANSWER,
      answer:
        '<script>window.hacked=1</script> <img src=x onerror="window.hacked=1"> [klick](javascript:alert(1)) ' +
        '[data](data:text/html;base64,PHNjcmlwdD4=) <a href="javascript:alert(1)">a</a> <iframe src="https://evil.example"></iframe> [ok](https://contoso.sharepoint.com/x)'
    };
    const server = new FakeServer([sse([['delta', { text: hostile.answer }], ['answer', hostile]])]);
    const { ask, log } = setup(server);
    ask('Frage');
    await screen.findByRole('link', { name: 'ok' });
    expect(log.querySelector('script, img, iframe, [onerror]')).toBeNull();
    for (const a of Array.from(log.querySelectorAll('a'))) {
      expect(a.getAttribute('href')).toMatch(/^https:/);
    }
    expect(log.textContent).toContain('<script>'); // shown as text, not run
    expect(screen.queryByRole('link', { name: 'Böser Link' })).toBeNull();
    expect(screen.getByText('Böser Link')).toBeTruthy();
    expect((window as any).hacked).toBeUndefined();
  });
});

describe('errors', () => {
  const cases: [string, () => Response | Promise<Response>, string][] = [
    ['server down', () => Promise.reject(new TypeError('Failed to fetch')), 'Der Assistent ist gerade nicht erreichbar.'],
    ['401', json(401, { error: 'invalid or missing bearer token' }), 'Ihre Anmeldung ist abgelaufen'],
    ['403', json(403, { error: 'forbidden' }), 'Sie haben keinen Zugriff'],
    ['429', json(429, { error: 'slow down' }, { 'Retry-After': '3' }), 'Gerade kommen zu viele Fragen an'],
    ['500', json(500, { error: 'boom' }), 'Beim Assistenten ist ein Fehler aufgetreten'],
    ['400', json(400, { error: "field 'question': must not be blank" }), "field 'question': must not be blank"]
  ];
  for (const [name, response, text] of cases) {
    it(`announces ${name} with role=alert and retries`, async () => {
      const server = new FakeServer([response, sse([['answer', ANSWER]])]);
      const { box, ask } = setup(server);
      ask('Frage');
      const alert = await screen.findByRole('alert');
      expect(alert.textContent).toContain(text);
      expect(box.disabled).toBe(false);
      fireEvent.click(within(alert).getByRole('button', { name: 'Erneut versuchen' }));
      await screen.findByRole('link', { name: 'Reisekostenrichtlinie' });
      expect(screen.queryByRole('alert')).toBeNull();
      expect(server.calls[1].body.question).toBe('Frage');
    });
  }

  it('gives up on a stream that stops sending (timeout)', async () => {
    const server = new FakeServer([]);
    (server as any)._responses.push(server.stream);
    const { ask } = setup(server, 'en', 200);
    ask('Question');
    const alert = await screen.findByRole('alert', {}, { timeout: 3000 });
    expect(alert.textContent).toContain('The answer is taking too long.');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('feedback', () => {
  it('sends like/dislike with an optional comment for the answer id', async () => {
    const server = new FakeServer([sse([['answer', ANSWER]]), json(201, { stored: true })]);
    const { ask } = setup(server);
    ask('Frage');
    fireEvent.click(await screen.findByRole('button', { name: /Nicht hilfreich/ }));
    fireEvent.change(screen.getByLabelText('Kommentar (optional)'), { target: { value: 'Zu knapp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Bewertung senden' }));
    await screen.findByText('Danke für Ihre Rückmeldung.');
    expect(server.calls[1].url).toBe('https://assistant.example/api/feedback');
    expect(server.calls[1].body).toEqual({ answer_id: 'a1', reaction: 'dislike', comment: 'Zu knapp' });
    expect(server.calls[1].headers.Authorization).toBe('Bearer t0k3n');
  });
});

describe('language', () => {
  it('shows German or English strings', () => {
    const server = new FakeServer([]);
    setup(server, 'de');
    expect(screen.getByRole('button', { name: 'Neue Unterhaltung' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Senden' })).toBeTruthy();
    cleanup();
    setup(server, 'en');
    expect(screen.getByRole('button', { name: 'New conversation' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Send' })).toBeTruthy();
    expect(screen.getByText("Only this site's documents are searched.")).toBeTruthy();
  });

  it('picks German for any German locale and English otherwise', () => {
    expect(['de-DE', 'de-at', 'DE', 'en-US', 'fr-FR', '', undefined].map(languageOf)).toEqual(['de', 'de', 'de', 'en', 'en', 'en', 'en']);
  });
});
