import { useEffect, useState } from 'react';
import { ApiError, call, type Session } from './api';
import { useRoute } from './hooks';
import { hrefOf, type Route } from './routes';
import { AnnotatePage } from './pages/annotate';
import { BatchPage } from './pages/batch';
import { BatchesPage } from './pages/batches';
import { CampaignsPage } from './pages/campaigns';
import { ImagePage } from './pages/image';
import { ProjectsPage } from './pages/projects';
import { ReportPage } from './pages/report';
import { SignIn } from './pages/sign-in';

const NAV: Array<[Route, string]> = [
  [{ page: 'batches' }, 'Batches'],
  [{ page: 'projects' }, 'Projects'],
  [{ page: 'annotate' }, 'Annotate'],
  [{ page: 'report' }, 'Report'],
  [{ page: 'campaigns' }, 'Campaigns'],
];

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  // A session cookie from earlier (this tab or another) signs the page in.
  useEffect(() => {
    call<Session>('GET', '/console/session').then(setSession, (error: unknown) => {
      if (!(error instanceof ApiError) || error.status !== 401) console.error(error);
      setSession(null);
    });
  }, []);

  if (session === undefined) return <p className="muted pad">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;

  const signOut = () => void call('DELETE', '/console/session').finally(() => setSession(null));
  const current = route.page === 'batch' || route.page === 'image' ? 'batches' : route.page;
  return (
    <div className="layout">
      <header>
        <strong>Aperture</strong>
        <nav>
          {NAV.map(([target, label]) => (
            <a key={label} href={hrefOf(target)} className={current === target.page ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span className="who" data-testid="who">
          {session.tenantId} · {session.role}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        <Page route={route} session={session} />
      </main>
    </div>
  );
}

function Page({ route, session }: { route: Route; session: Session }) {
  switch (route.page) {
    case 'batches':
      return <BatchesPage session={session} />;
    case 'batch':
      return <BatchPage batchId={route.batchId} />;
    case 'image':
      return <ImagePage imageId={route.imageId} />;
    case 'projects':
      return <ProjectsPage projectId={route.projectId} session={session} />;
    case 'annotate':
      return <AnnotatePage session={session} />;
    case 'report':
      return <ReportPage projectId={route.projectId} />;
    case 'campaigns':
      return <CampaignsPage campaignId={route.campaignId} />;
  }
}
