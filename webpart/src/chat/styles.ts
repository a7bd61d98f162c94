/** Styles with Fluent's merge-styles (works in both hosts without a CSS loader). Colours meet
 * WCAG 2.1 AA on white: text #201f1e (16:1), muted #605e5c (6.3:1), links #005a9e (7.2:1),
 * errors #a4262c on #fde7e9 (5.9:1); focus outlines are 2px and visible. */
import { mergeStyleSets } from '@fluentui/react/lib/Styling';

const focus = { selectors: { ':focus-visible': { outline: '2px solid #005a9e', outlineOffset: 2 } } };

export const classes = mergeStyleSets({
  root: { fontFamily: '"Segoe UI", system-ui, sans-serif', color: '#201f1e', background: '#ffffff', maxWidth: 900, padding: 8 },
  header: { display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 12, flexWrap: 'wrap' },
  title: { fontSize: 20, fontWeight: 600, margin: '4px 0' },
  log: { border: '1px solid #8a8886', borderRadius: 4, padding: 12, minHeight: 160, margin: '8px 0', overflowWrap: 'anywhere' },
  turn: { marginBottom: 16 },
  question: { fontWeight: 600, margin: '4px 0' },
  answer: { margin: '4px 0', selectors: { p: { margin: '4px 0' } } },
  who: { fontWeight: 600, marginRight: 4 },
  note: { color: '#605e5c', fontSize: 13, margin: '4px 0' },
  sourcesTitle: { fontSize: 14, fontWeight: 600, margin: '8px 0 4px' },
  sources: { fontSize: 14, paddingLeft: 24, margin: 0 },
  link: { color: '#005a9e', textDecoration: 'underline', ...focus },
  snippet: { color: '#605e5c', fontSize: 13, selectors: { p: { margin: '2px 0' }, a: { color: '#005a9e' } } },
  error: { color: '#a4262c', background: '#fde7e9', padding: 8, borderRadius: 4, margin: '8px 0', display: 'flex', alignItems: 'center', gap: 8, flexWrap: 'wrap' },
  feedback: { marginTop: 8 },
  commentBox: { display: 'flex', flexDirection: 'column', gap: 4, marginTop: 8, maxWidth: 480 },
  form: { display: 'flex', flexDirection: 'column', gap: 4 },
  row: { display: 'flex', gap: 8, alignItems: 'flex-start', flexWrap: 'wrap' },
  label: { fontWeight: 600, fontSize: 14 },
  textarea: { flex: 1, minWidth: 200, font: 'inherit', padding: 6, border: '1px solid #605e5c', borderRadius: 2, color: '#201f1e', ...focus }
});
