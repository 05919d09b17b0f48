import { useEffect, useState } from 'react';
import { ApiError, call } from './api';
import { parseRoute, type Route } from './routes';

/** The page the URL's hash names, following its changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** A GET answer, fetched again when `url` changes (or `reload` is bumped); null url = nothing. */
export function useFetch<T>(
  url: string | null,
  reload = 0,
): { data?: T; error?: ApiError; loading: boolean } {
  const [state, setState] = useState<{ url?: string; data?: T; error?: ApiError; loading: boolean }>({
    loading: true,
  });
  useEffect(() => {
    if (!url) return;
    let live = true;
    // Another url is another thing: never show the previous one's answer as this one's.
    setState((previous) => (previous.url === url ? { ...previous, loading: true } : { url, loading: true }));
    call<T>('GET', url).then(
      (data) => live && setState({ url, data, loading: false }),
      (error: unknown) =>
        live &&
        setState({
          url,
          error: error instanceof ApiError ? error : new ApiError(0, 'network', String(error)),
          loading: false,
        }),
    );
    return () => {
      live = false;
    };
  }, [url, reload]);
  return state.url === url ? state : { loading: true };
}

/**
 * Server-sent events from `url`: the latest event's data, and whether the stream is up. The
 * server pushes only changes; EventSource reconnects on its own after a network break.
 */
export function useEventStream<T>(url: string | null): { data?: T; live: boolean; failure?: string } {
  const [state, setState] = useState<{ data?: T; live: boolean; failure?: string }>({ live: false });
  useEffect(() => {
    if (!url) return;
    setState({ live: false });
    const source = new EventSource(url, { withCredentials: true });
    source.onopen = () => setState((previous) => ({ ...previous, live: true }));
    source.onmessage = (event: MessageEvent<string>) =>
      setState({ data: JSON.parse(event.data) as T, live: true });
    source.addEventListener('failure', (event) => {
      const body = JSON.parse((event as MessageEvent<string>).data) as { message: string };
      setState((previous) => ({ ...previous, failure: body.message }));
    });
    source.onerror = () => setState((previous) => ({ ...previous, live: false }));
    return () => source.close();
  }, [url]);
  return state;
}
