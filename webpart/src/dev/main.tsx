/**
 * The dev page's host (the server serves it at `/` in DEV_MODE): the same Chat component as the
 * web part, with a demo-user picker in place of the Entra sign-in and the browser's language
 * (or `?lang=de|en`) in place of the SharePoint page's.
 */
import './fabricConfig';
import * as React from 'react';
import * as ReactDom from 'react-dom';
import { AskClient } from '../chat/api';
import { Chat } from '../chat/Chat';
import { languageOf } from '../chat/loc';

interface IDemoUser {
  userPrincipalName: string;
  displayName: string;
  department?: string;
}

const LABELS = {
  de: { user: 'Fragen als (Demo-Benutzer)', badge: 'Entwicklungsmodus: Demo-Benutzer, keine Anmeldung', title: 'Assistent' },
  en: { user: 'Ask as (demo user)', badge: 'Dev mode: demo users, no sign-in', title: 'Assistant' }
};

const DevPage: React.FC = () => {
  const params = new URLSearchParams(window.location.search);
  const language = languageOf(params.get('lang') || navigator.language);
  const labels = LABELS[language];
  const [users, setUsers] = React.useState<IDemoUser[]>([]);
  const [user, setUser] = React.useState(params.get('user') || '');
  const current = React.useRef(user);
  current.current = user;
  const client = React.useMemo(
    () => new AskClient({ baseUrl: '', credentials: async () => ({ body: { user: current.current } }), timeoutMs: 120000 }),
    []
  );
  React.useEffect(() => {
    fetch('api/demo-users')
      .then((r) => r.json())
      .then((list: IDemoUser[]) => {
        setUsers(list);
        if (!current.current && list.length) setUser(list[0].userPrincipalName);
      })
      .catch(() => setUsers([]));
  }, []);
  const toolbar = (
    <p>
      <span style={{ background: '#fff4ce', color: '#201f1e', padding: '2px 6px', borderRadius: 3, marginRight: 12 }}>{labels.badge}</span>
      <label htmlFor="demo-user" style={{ fontWeight: 600, marginRight: 6 }}>{labels.user}</label>
      <select id="demo-user" value={user} onChange={(e) => setUser(e.target.value)}>
        {users.map((u) => (
          <option key={u.userPrincipalName} value={u.userPrincipalName}>
            {u.displayName} ({u.department || '-'})
          </option>
        ))}
      </select>
    </p>
  );
  return <Chat title={labels.title} language={language} client={client} site={params.get('site') || undefined} toolbar={toolbar} />;
};

document.documentElement.lang = languageOf(new URLSearchParams(window.location.search).get('lang') || navigator.language);
ReactDom.render(<DevPage />, document.getElementById('root'));
