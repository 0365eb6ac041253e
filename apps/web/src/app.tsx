import { DocumentListPage } from './document-list-page.js';
import { DocumentPage } from './document-page.js';
import { useStoredUser } from './local-user.js';
import { followLink, parseRoute, usePathname } from './router.js';
import { UserSettings } from './user-settings.js';

/** The app shell: header with the local user's identity, then the routed page. */
export function App() {
  const route = parseRoute(usePathname());
  const [user, setUser] = useStoredUser();
  return (
    <>
      <header className="app-header">
        <a className="app-header__brand" href="/" onClick={followLink}>
          Tandem
        </a>
        <UserSettings user={user} onChange={setUser} />
      </header>
      {route.page === 'list' ? <DocumentListPage /> : null}
      {route.page === 'doc' ? <DocumentPage key={route.id} id={route.id} user={user} /> : null}
      {route.page === 'not-found' ? (
        <main className="page">
          <h1>Not found</h1>
          <p>
            <a href="/" onClick={followLink}>
              Back to your documents
            </a>
          </p>
        </main>
      ) : null}
    </>
  );
}
