import type { ComponentType } from 'preact';
import { useState } from 'preact/hooks';
import { Link, Route, Router, Switch, useRoute } from 'wouter-preact';
import { loadCredentials, saveCredentials, type Credentials } from './api.js';
import { AuthContext } from './auth.js';
import { SignIn } from './pages/sign-in.js';
import { Models } from './pages/models.js';
import { Overview } from './pages/overview.js';
import { Topology } from './pages/topology.js';
import { NotFound } from './pages/not-found.js';
import { Runs } from './pages/runs.js';
import { RunDetail } from './pages/run-detail.js';
import { Sessions } from './pages/sessions.js';
import { Config } from './pages/config.js';
import { Traffic } from './pages/traffic.js';
import { Drift } from './pages/drift.js';

/** One page of the console: its path under /ui, its nav label, and whether it needs an admin key. */
export interface Page {
  path: string;
  label: string;
  /** Rendered by the router, which passes `params` (any page may ignore them). */
  component: ComponentType<any>;
  /** Shown only to an admin key (read-only mode hides it). */
  admin?: boolean;
  /** Routes under the page (e.g. `/runs/:id`) that keep its nav entry current. */
  children?: { path: string; component: ComponentType<any> }[];
}

/**
 * The console's pages in nav order. To add one: a file under pages/ exporting its component,
 * one entry here, and a browser test under test/console/ (see ui/README.md).
 */
export const PAGES: Page[] = [
  { path: '/overview', label: 'Overview', component: Overview },
  { path: '/models', label: 'Models', component: Models },
  { path: '/topology', label: 'Topology', component: Topology },
  { path: '/runs', label: 'Runs', component: Runs, children: [{ path: '/runs/:id', component: RunDetail }] },
  { path: '/sessions', label: 'Sessions', component: Sessions },
  { path: '/traffic', label: 'Traffic', component: Traffic, admin: true },
  { path: '/config', label: 'Config', component: Config, admin: true },
  { path: '/drift', label: 'Drift', component: Drift },
];

function NavLink(props: { page: Page }) {
  const [active] = useRoute(props.page.path);
  const [child] = useRoute(`${props.page.path}/*`);
  return (
    <Link href={props.page.path} aria-current={active || child ? 'page' : undefined}>
      {props.page.label}
    </Link>
  );
}

function Shell(props: { credentials: Credentials; signOut: () => void }) {
  const pages = PAGES.filter((p) => !p.admin || props.credentials.role === 'admin');
  const home = pages[0]!;
  return (
    <AuthContext.Provider value={{ credentials: props.credentials, signOut: props.signOut }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Master Orchestrator</span>
        <nav aria-label="Console pages">
          {pages.map((p) => (
            <NavLink key={p.path} page={p} />
          ))}
        </nav>
        <span class="who">
          <span class="role" data-testid="role">
            {props.credentials.role === 'admin' ? 'admin' : 'read-only'}
          </span>
          <button type="button" onClick={props.signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/" component={home.component} />
          {pages.flatMap((p) => [
            <Route key={p.path} path={p.path} component={p.component} />,
            ...(p.children ?? []).map((c) => <Route key={c.path} path={c.path} component={c.component} />),
          ])}
          <Route component={NotFound} />
        </Switch>
      </main>
    </AuthContext.Provider>
  );
}

/** The console: sign-in until keys are given, then the pages; served at /ui (path-based routes). */
export function App() {
  const [credentials, setCredentials] = useState<Credentials | null>(loadCredentials);
  const signIn = (c: Credentials) => {
    saveCredentials(c);
    setCredentials(c);
  };
  const signOut = () => {
    saveCredentials(null);
    setCredentials(null);
  };
  return (
    <Router base="/ui">{credentials ? <Shell credentials={credentials} signOut={signOut} /> : <SignIn onSignedIn={signIn} />}</Router>
  );
}
