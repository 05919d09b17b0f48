import type { Campaign, CollectorStats } from '../api';
import { percent, percentOfTarget } from '../campaign-cells';
import { useEventStream, useFetch } from '../hooks';
import { hrefOf } from '../routes';

/** The Campaigns page: the tenant's campaigns, or one of them live (its cells and its collectors). */
export function CampaignsPage({ campaignId }: { campaignId?: string }) {
  return campaignId ? <CampaignDetail campaignId={campaignId} /> : <CampaignList />;
}

function CampaignList() {
  const { data, error, loading } = useFetch<{ campaigns: Campaign[] }>('/console/api/campaigns');
  return (
    <section>
      <h1>Campaigns</h1>
      {error && <p className="error">{error.message}</p>}
      {loading && <p className="muted">loading…</p>}
      {data && data.campaigns.length === 0 && <p className="muted">This tenant has no campaigns.</p>}
      {data && data.campaigns.length > 0 && (
        <table className="grid" data-testid="campaigns">
          <thead>
            <tr>
              <th>Campaign</th>
              <th>Project</th>
              <th>State</th>
              <th>Deadline</th>
              <th>Achieved / target</th>
              <th>Surplus</th>
            </tr>
          </thead>
          <tbody>
            {data.campaigns.map((campaign) => (
              <tr key={campaign.campaignId} data-campaign={campaign.campaignId}>
                <td>
                  <a href={hrefOf({ page: 'campaigns', campaignId: campaign.campaignId })}>
                    {campaign.name || campaign.campaignId}
                  </a>
                </td>
                <td>{campaign.projectId}</td>
                <td>
                  <span className={`state ${campaign.state}`}>{campaign.state}</span>
                </td>
                <td>{new Date(campaign.deadline).toLocaleString()}</td>
                <td>
                  {campaign.achieved} / {campaign.target}
                </td>
                <td>{campaign.surplus}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One campaign, from ingest's event stream: an event whenever a count, a state or a stat changes. */
function CampaignDetail({ campaignId }: { campaignId: string }) {
  const stream = useEventStream<{ campaign: Campaign; collectors: CollectorStats[] }>(
    `/console/api/campaigns/${encodeURIComponent(campaignId)}/events`,
  );
  const campaign = stream.data?.campaign;
  return (
    <section>
      <p>
        <a href={hrefOf({ page: 'campaigns' })}>← all campaigns</a>
      </p>
      <h1>
        {campaign?.name || `Campaign ${campaignId}`}{' '}
        <span className={`live ${stream.live ? 'on' : ''}`}>{stream.live ? 'live' : 'connecting…'}</span>
      </h1>
      {stream.failure && <p className="error">{stream.failure}</p>}
      {campaign && (
        <>
          <p>
            State:{' '}
            <span className={`state ${campaign.state}`} data-testid="campaign-state">
              {campaign.state}
            </span>{' '}
            · project{' '}
            <a href={hrefOf({ page: 'projects', projectId: campaign.projectId })}>{campaign.projectId}</a> ·
            deadline {new Date(campaign.deadline).toLocaleString()} · achieved {campaign.achieved} /{' '}
            {campaign.target} · surplus {campaign.surplus}
          </p>
          <h2>Quota cells</h2>
          <table className="grid" data-testid="campaign-cells">
            <thead>
              <tr>
                <th>Cell</th>
                <th>Dimensions</th>
                <th>Curated</th>
                <th>Target</th>
                <th>Cap</th>
                <th>Progress</th>
              </tr>
            </thead>
            <tbody>
              {campaign.cells.map((cell) => (
                <tr key={cell.cellId} data-cell={cell.cellId} className={cell.full ? 'full' : ''}>
                  <td>{cell.cellId}</td>
                  <td>{cell.label}</td>
                  <td data-testid="cell-curated">{cell.curated}</td>
                  <td>{cell.target}</td>
                  <td>{cell.cap > 0 ? cell.cap : '—'}</td>
                  <td>
                    <span className="bar">
                      <span style={{ width: `${percentOfTarget(cell)}%` }} />
                    </span>{' '}
                    {cell.full && <span className="chip full">full</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Collectors</h2>
          {stream.data && stream.data.collectors.length === 0 && (
            <p className="muted">No collector has uploaded to this campaign yet.</p>
          )}
          {stream.data && stream.data.collectors.length > 0 && (
            <table className="grid" data-testid="campaign-collectors">
              <thead>
                <tr>
                  <th>Collector</th>
                  <th>State</th>
                  <th>Uploaded</th>
                  <th>Curated</th>
                  <th>Rejected</th>
                  <th>In flight</th>
                  <th>Acceptance</th>
                  <th>Duplicates</th>
                  <th>Agreement</th>
                  <th>Rejection reasons</th>
                </tr>
              </thead>
              <tbody>
                {stream.data.collectors.map((row) => (
                  <tr
                    key={row.collectorId}
                    data-collector={row.collectorId}
                    className={row.flagged ? 'failed' : ''}
                  >
                    <td>
                      {row.name || row.collectorId}
                      {row.flagged && (
                        <span className="chip rejected" title="acceptance below the campaign's minimum">
                          {' '}
                          flagged
                        </span>
                      )}
                    </td>
                    <td>{row.state}</td>
                    <td>{row.uploaded}</td>
                    <td>{row.curated}</td>
                    <td>{row.rejected}</td>
                    <td>{row.inFlight}</td>
                    <td>{percent(row.acceptanceRate)}</td>
                    <td>{percent(row.duplicateRate)}</td>
                    <td>{percent(row.annotatorAgreement)}</td>
                    <td>
                      {Object.entries(row.rejectionReasons).map(([reason, count]) => (
                        <span key={reason} className="chip reason" data-reason={reason}>
                          {reason} {count}
                        </span>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
