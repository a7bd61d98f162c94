/**
 * The assistant's web API as the chat uses it: POST /api/ask read as Server-Sent Events with
 * fetch and a stream reader (SPFx's AadHttpClient cannot stream), and POST /api/feedback.
 *
 * The protocol (bot/ask_api.py): `event: delta` with `{"text"}` while the answer is generated,
 * then one `event: answer` with the final answer, its citations and its `answer_id`.
 */

export interface ICitation {
  number: number;
  title: string;
  url: string;
  snippet: string;
  file_name?: string;
}

export interface IAnswer {
  answer: string;
  citations: ICitation[];
  outcome: string;
  language: string;
  answer_id: string;
  conversation_id: string;
}

export type AskErrorKind = 'network' | 'auth' | 'forbidden' | 'rateLimited' | 'timeout' | 'server' | 'badRequest';

export class AskError extends Error {
  public constructor(
    public readonly kind: AskErrorKind,
    message: string,
    public readonly retryAfterS?: number
  ) {
    super(message);
    this.name = 'AskError';
  }
}

/** What the host adds to every call: a bearer token (SharePoint) or the demo user (dev mode). */
export interface ICredentials {
  headers?: Record<string, string>;
  body?: Record<string, string>;
}

export interface IAskClientOptions {
  baseUrl: string;
  credentials: () => Promise<ICredentials>;
  /** Longest wait for the first byte and between two chunks of the stream. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export interface IAskRequest {
  question: string;
  conversationId: string;
  language: string;
  site?: string;
}

function errorFor(status: number, message: string, retryAfter: string | null): AskError {
  if (status === 401) return new AskError('auth', message);
  if (status === 403) return new AskError('forbidden', message);
  if (status === 429) {
    const seconds = Number(retryAfter);
    return new AskError('rateLimited', message, Number.isFinite(seconds) ? seconds : undefined);
  }
  if (status === 408 || status === 504) return new AskError('timeout', message);
  if (status >= 500) return new AskError('server', message);
  return new AskError('badRequest', message);
}

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = await response.json();
    return typeof body?.error === 'string' ? body.error : `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

/** Splits a Server-Sent Events byte stream into (event, data) pairs. */
export async function* sseEvents(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  nextChunk: () => Promise<ReadableStreamReadResult<Uint8Array>>
): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await nextChunk();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
  reader.releaseLock();
}

export class AskClient {
  private readonly _base: string;
  private readonly _timeoutMs: number;
  private readonly _fetch: typeof fetch;

  public constructor(private readonly _options: IAskClientOptions) {
    this._base = _options.baseUrl.replace(/\/+$/, '');
    this._timeoutMs = _options.timeoutMs ?? 120000;
    this._fetch = _options.fetchImpl ?? ((input, init) => fetch(input, init));
  }

  private async _post(path: string, body: object, accept: string, signal: AbortSignal): Promise<Response> {
    let credentials: ICredentials;
    try {
      credentials = await this._options.credentials();
    } catch (error) {
      throw new AskError('auth', String(error));
    }
    let response: Response;
    try {
      response = await this._fetch(`${this._base}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: accept, ...credentials.headers },
        body: JSON.stringify({ ...body, ...credentials.body }),
        signal
      });
    } catch (error) {
      if (signal.aborted) throw new AskError('timeout', 'timed out');
      throw new AskError('network', String(error));
    }
    if (!response.ok) {
      throw errorFor(response.status, await errorMessage(response), response.headers.get('Retry-After'));
    }
    return response;
  }

  /** Streams the answer: `onDelta` gets each piece of text; resolves with the final answer. */
  public async ask(request: IAskRequest, onDelta: (text: string) => void, cancel?: AbortSignal): Promise<IAnswer> {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    cancel?.addEventListener('abort', abort);
    let timer = setTimeout(abort, this._timeoutMs);
    const rearm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(abort, this._timeoutMs);
    };
    try {
      const body: Record<string, string> = { question: request.question, conversation_id: request.conversationId };
      if (request.site) body.site = request.site;
      const response = await this._post('/api/ask', body, 'text/event-stream', controller.signal);
      if (!response.body) throw new AskError('server', 'no response body');
      const reader = response.body.getReader();
      // A stalled stream must end even where aborting the fetch does not end the body.
      const stalled = new Promise<never>((_resolve, reject) =>
        controller.signal.addEventListener('abort', () => {
          reject(new AskError('timeout', 'no data from the server in time'));
          reader.cancel().catch(() => undefined);
        })
      );
      stalled.catch(() => undefined);
      const next = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
        try {
          const chunk = await Promise.race([reader.read(), stalled]);
          rearm();
          return chunk;
        } catch (error) {
          if (error instanceof AskError) throw error;
          throw new AskError(controller.signal.aborted ? 'timeout' : 'network', String(error));
        }
      };
      for await (const { event, data } of sseEvents(reader, next)) {
        const parsed = JSON.parse(data);
        if (event === 'delta' && typeof parsed.text === 'string') onDelta(parsed.text);
        if (event === 'answer') return parsed as IAnswer;
      }
      throw new AskError('network', 'the stream ended without an answer');
    } finally {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', abort);
    }
  }

  public async feedback(answerId: string, reaction: 'like' | 'dislike', comment: string): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this._timeoutMs);
    try {
      await this._post('/api/feedback', { answer_id: answerId, reaction, comment }, 'application/json', controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }
}
