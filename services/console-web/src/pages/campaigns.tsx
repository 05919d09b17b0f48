/**
 * Collection campaigns (issue 12) have not landed in this build: there is no campaigns API to
 * read, so this page says so instead of drawing a grid of made-up numbers.
 */
export function CampaignsPage() {
  return (
    <section className="notice" data-testid="campaigns-unavailable">
      <h1>Campaigns</h1>
      <p>
        Collection campaigns are not part of this build yet. When they land, this page shows each
        campaign&apos;s quota cells as a live grid and its collectors with their stats.
      </p>
    </section>
  );
}
