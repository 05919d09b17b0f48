/** The console's pages, addressed by the URL's hash (#/batches/bat_1): no server routes needed. */
export type Route =
  | { page: 'batches' }
  | { page: 'batch'; batchId: string }
  | { page: 'image'; imageId: string }
  | { page: 'projects'; projectId?: string }
  | { page: 'annotate' }
  | { page: 'report'; projectId?: string }
  | { page: 'campaigns'; campaignId?: string };

export function parseRoute(hash: string): Route {
  const [page = '', id] = hash
    .replace(/^#\/?/, '')
    .split('/')
    .map((part) => decodeURIComponent(part));
  switch (page) {
    case 'batches':
      return id ? { page: 'batch', batchId: id } : { page: 'batches' };
    case 'images':
      return id ? { page: 'image', imageId: id } : { page: 'batches' };
    case 'projects':
      return id ? { page: 'projects', projectId: id } : { page: 'projects' };
    case 'report':
      return id ? { page: 'report', projectId: id } : { page: 'report' };
    case 'campaigns':
      return id ? { page: 'campaigns', campaignId: id } : { page: 'campaigns' };
    case 'annotate':
      return { page };
    default:
      return { page: 'batches' };
  }
}

export function hrefOf(route: Route): string {
  const at = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;
  switch (route.page) {
    case 'batch':
      return at('batches', route.batchId);
    case 'image':
      return at('images', route.imageId);
    case 'projects':
    case 'report':
      return route.projectId ? at(route.page, route.projectId) : at(route.page);
    case 'campaigns':
      return route.campaignId ? at(route.page, route.campaignId) : at(route.page);
    default:
      return at(route.page);
  }
}
