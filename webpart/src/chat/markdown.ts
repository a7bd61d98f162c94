/**
 * Answers and snippets as sanitised Markdown. Documents are written by thousands of people and
 * the model repeats what it read, so nothing in them may run: markdown-it with raw HTML off (it
 * is shown as text) and its link check (no javascript:, vbscript:, file:, data:), then DOMPurify
 * over the result with only http(s)/mailto links allowed, and every link opening in a new tab
 * without access to this page.
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

const SAFE_URL = /^(?:https?:|mailto:)/i;

const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
const baseValidate = md.validateLink.bind(md);
md.validateLink = (url: string): boolean => baseValidate(url) && SAFE_URL.test(url.trim());

let purifier: ReturnType<typeof DOMPurify> | undefined;

function purify(): ReturnType<typeof DOMPurify> {
  if (!purifier) {
    purifier = DOMPurify(window);
    purifier.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });
  }
  return purifier;
}

export function renderMarkdown(text: string): string {
  const html = md.render(text);
  return purify().sanitize(html, {
    ALLOWED_TAGS: ['p', 'br', 'strong', 'em', 'code', 'pre', 'ul', 'ol', 'li', 'a', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr', 's'],
    ALLOWED_ATTR: ['href', 'target', 'rel'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i
  });
}

/** A citation link: only http(s) URLs become links. */
export function safeHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url.trim()) ? url.trim() : undefined;
}
