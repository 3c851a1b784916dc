// The search page: loads the Pagefind index that `kommunenyt build` made and shows the
// results in Danish. Without this script the page still explains where to find articles.
// The index is in shards (generator/search.py): pagefind/shards.json lists them, newest
// first; the newest is loaded and the others merged into it, so one query searches all.
const PAGE_SIZE = 10;
const EXCERPT_LENGTH = 28;

const root = document.querySelector("[data-search]");
if (root) {
  start(root);
}

async function start(root) {
  const form = root.querySelector("[data-search-form]");
  const input = form.elements.q;
  const section = form.elements.sektion;
  const year = form.elements.aar;
  const status = root.querySelector("[data-search-status]");
  const list = root.querySelector("[data-search-results]");
  const more = root.querySelector("[data-search-more]");

  let search;
  try {
    search = await loadIndex(new URL(root.dataset.shards, document.baseURI));
  } catch (error) {
    status.textContent =
      "Søgningen kunne ikke indlæses. Genindlæs siden, eller find artiklerne i arkivet.";
    return;
  }

  const params = new URLSearchParams(window.location.search);
  input.value = params.get("q") || "";
  section.value = params.get("sektion") || "";
  year.value = params.get("aar") || "";

  let results = [];
  let shown = 0;
  let latest = 0;

  async function run(remember) {
    const query = input.value.trim();
    const filters = {};
    if (section.value) filters.sektion = section.value;
    if (year.value) filters.aar = year.value;
    if (remember) rememberInAddress(query);
    list.replaceChildren();
    more.hidden = true;
    shown = 0;
    if (!query && Object.keys(filters).length === 0) {
      status.textContent = "";
      return;
    }
    const mine = ++latest;
    status.textContent = "Søger …";
    const found = await search(query, filters);
    if (mine !== latest) return; // a newer search has started
    results = found;
    await showMore(mine);
    // Announced once the results are on the page, so a screen reader can go straight on.
    if (mine === latest) status.textContent = describe(results.length, query);
  }

  async function showMore(mine = latest) {
    const batch = results.slice(shown, shown + PAGE_SIZE);
    const items = await Promise.all(batch.map((result) => result.data()));
    if (mine !== latest) return;
    for (const item of items) list.append(render(item));
    shown += batch.length;
    more.hidden = shown >= results.length;
  }

  function rememberInAddress(query) {
    const next = new URLSearchParams();
    if (query) next.set("q", query);
    if (section.value) next.set("sektion", section.value);
    if (year.value) next.set("aar", year.value);
    const search = next.toString();
    window.history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(true);
  });
  section.addEventListener("change", () => run(true));
  year.addEventListener("change", () => run(true));
  more.addEventListener("click", async () => {
    const first = shown;
    await showMore();
    const link = list.children[first]?.querySelector("a");
    if (link) link.focus(); // keyboard users continue where the new results start
  });

  if (input.value || section.value || year.value) run(false);
}

// Every shard's pages carry this filter with the shard's name (a filter Pagefind adds in
// the browser, not in the index), so a search can be asked of one shard.
const SHARD_FILTER = "kommunenyt-shard";

async function loadIndex(listUrl) {
  const response = await fetch(listUrl);
  if (!response.ok) throw new Error(`${listUrl}: ${response.status}`);
  const { shards } = await response.json();
  if (shards.length === 0) return async () => []; // no articles yet
  const options = (name) => ({
    excerptLength: EXCERPT_LENGTH,
    mergeFilter: { [SHARD_FILTER]: name },
  });
  const folder = (name) => new URL(`${name}/`, listUrl);
  const pagefind = await import(new URL("pagefind.js", folder(shards[0])).href);
  await pagefind.options(options(shards[0]));
  await pagefind.init();
  await Promise.all(
    shards.slice(1).map((name) => pagefind.mergeIndex(folder(name).pathname, options(name))),
  );
  return async (query, filters) => {
    if (query) return (await pagefind.search(query, { filters })).results; // by relevance
    // By filters only, newest first. Each shard sorts its own results by date, but the
    // merged list is ordered by score, which here is only a rank within one shard: so ask
    // each shard on its own (they are listed newest first) and put the answers in a row.
    const answers = await Promise.all(
      shards.map((name) =>
        pagefind.search(null, {
          filters: { ...filters, [SHARD_FILTER]: name },
          sort: { dato: "desc" },
        }),
      ),
    );
    return answers.flatMap((answer) => answer.results);
  };
}

function describe(count, query) {
  const what = query ? ` for »${query}«` : " med de valgte filtre";
  if (count === 0) {
    return `Ingen artikler fundet${what}. Prøv et andet ord, eller fjern filtrene.`;
  }
  return `${count} ${count === 1 ? "artikel" : "artikler"} fundet${what}.`;
}

function render(item) {
  const entry = document.createElement("li");
  entry.className = "search__result";
  const heading = document.createElement("h2");
  heading.className = "search__title";
  const link = document.createElement("a");
  link.href = item.url;
  link.textContent = item.meta.title || item.url;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "search__meta";
  meta.textContent = [item.filters?.sektion?.[0], item.meta.dato].filter(Boolean).join(" · ");
  const excerpt = document.createElement("p");
  excerpt.className = "search__excerpt";
  // Pagefind escapes the page text; its excerpt adds only <mark> around the hits.
  excerpt.innerHTML = item.excerpt;
  entry.append(heading, meta, excerpt);
  return entry;
}
