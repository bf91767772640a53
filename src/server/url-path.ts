/** A request URL without its query string (the URL itself when it has none: nothing is allocated). */
export const pathOf = (url: string): string => {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
};
