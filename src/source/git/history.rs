//! The history source (SPEC §3 `scan --git`): every blob reachable from every
//! ref, scanned once, attributed to the commit that introduced it.
//!
//! 1. **Roots**: every ref (branches, tags, remote-tracking refs, the stash,
//!    notes) and `HEAD`, peeled through annotated tags. With `--all-objects`,
//!    commits and blobs in the object database that no ref reaches are added
//!    after them (dangling objects from deleted branches and amended commits).
//! 2. **Commits** are collected and ordered parents-first (oldest first among
//!    unrelated commits); a commit's position in that order is the *label*
//!    of its root tree. Labels are pushed down the trees level by level
//!    ([`super::trees`]): each blob ends with the least position of a commit
//!    whose tree holds it, the commit that introduced it (none of its
//!    parents can hold the blob, since they come before it). The trees are
//!    rebuilt from the packs, each delta chain once a level, and nothing of
//!    them is kept: memory grows with the objects, not with the tree entries.
//! 3. **Blobs** are scanned once each, in parallel: pack by pack, each delta
//!    chain rebuilt once, then any left (loose objects) in the order the
//!    object database lists them.
//! 4. **Attribution** is computed only for blobs with findings: the paths of
//!    the blob in its first commit. A key is reported once per path, at the
//!    first commit that put it there (later versions of the file that still
//!    hold it are not new leaks). With `--all-occurrences`, every
//!    (commit, path) that introduced a blob with the key: commits whose tree
//!    holds the blob at the path while none of their parents' trees do.
//!    Which trees hold those blobs is found first, by one more reading of
//!    the trees, deepest level first ([`super::trees::Reach::ancestors`]),
//!    so that finding paths reads only the trees on the way to them.
//! 5. **Names**: every tree entry's name (file, folder, submodule) is checked
//!    for a key as the trees are read (a length comparison for most names),
//!    and the trees with such a name are listed. Only when there are any are
//!    their paths found again, as for blobs: a key in a name is reported at
//!    a `path` location, at the first commit whose tree has the path while
//!    none of its parents' trees do (with `--all-occurrences`, at each such
//!    commit).
//!
//! Gitlinks (submodule commits) are not followed: a submodule is another
//! repository, scanned on its own. A commit or tree that cannot be read is
//! reported with its id (the scan is then incomplete) and the walk goes on.
//! In a shallow clone the history stops at the shallow boundary, and the run
//! says so.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};

use super::pack::open_packs;
use super::trees::{Ancestors, ObjectTable, Observer, Reach, Store, UNREACHED};
use super::{
    commit_info, commit_metadata_findings, open_repo, provenance, repo_path, scan_blobs,
    tag_metadata_findings, tune_libgit2_for_scanning,
};
use super::{BlobHits, ObjectStore};
use crate::finding::{CommitInfo, Finding};
use crate::source::{ScanContext, Stats};

/// How much of the object database to scan, and how to report.
#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    /// Report every commit and path that introduced a blob with a key, not only the first.
    pub all_occurrences: bool,
    /// Also scan objects no ref reaches (dangling commits and blobs).
    pub all_objects: bool,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
}

/// Index into [`Graph::nodes`].
type NodeIx = u32;

/// Marks a blob seen without a commit (a ref to a tree or blob, or a dangling blob).
const NO_COMMIT: NodeIx = NodeIx::MAX;

/// Tree entry modes (git stores them in the tree; see `git_filemode_t`).
const MODE_TREE: i32 = 0o040000;
const MODE_GITLINK: i32 = 0o160000;

struct Node {
    id: Oid,
    tree: Oid,
    parents: Vec<NodeIx>,
    time: i64,
}

/// Every commit read, in the order their trees are walked.
#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    index: HashMap<Oid, NodeIx>,
    order: Vec<NodeIx>,
}

/// Everything the walk found.
#[derive(Default)]
struct Walk {
    graph: Graph,
    /// Trees walked from a ref to a tree (not from a commit).
    trees: HashSet<Oid>,
    /// Each reachable blob → the first commit it was seen in.
    blobs: HashMap<Oid, NodeIx>,
    /// Paths of blobs reached from a ref to a tree or a blob, not from a commit.
    rootless: HashMap<Oid, String>,
    /// Keys in commit and tag metadata (authors, messages), and in the
    /// names of trees reached from a ref to a tree.
    metadata: Vec<Finding>,
    /// Trees read with libgit2 that have an entry whose name holds a key.
    named: HashSet<Oid>,
    gitlinks: u64,
}

/// Scan the history of the repository at `path`.
pub fn scan_history(
    path: &Path,
    opts: &HistoryOptions,
    ctx: &ScanContext<'_>,
) -> Result<(Vec<Finding>, Stats)> {
    let repo = open_repo(path)?;
    tune_libgit2_for_scanning();
    let shallow = shallow_boundary(&repo);
    if repo.is_shallow() {
        ctx.problems.warn(&format!(
            "`{}` is a shallow clone: only the history it holds is scanned, not the commits before its {} shallow boundary commit(s)",
            path.display(),
            shallow.len()
        ));
    }

    // The packs and their trees, and meanwhile (on a repository of its own,
    // as libgit2 repositories are not shared between threads) the refs and
    // the commit graph.
    let objects = repo.commondir().join("objects");
    let git_dir = repo.path().to_path_buf();
    let mut walk = Walk::default();
    let ((packs, table), trees) = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .context("failed to start the reading threads")?
        .install(|| {
            rayon::join(
                || {
                    let packs = open_packs(&objects);
                    let table = ObjectTable::new(&packs);
                    (packs, table)
                },
                || -> Result<Vec<(String, Oid)>> {
                    let repo = Repository::open(&git_dir)
                        .with_context(|| format!("failed to open `{}` again", git_dir.display()))?;
                    let (commits, trees) = ref_roots(&repo, ctx, &mut walk);
                    add_commits(
                        &repo,
                        &commits,
                        &shallow,
                        ctx,
                        &mut walk.graph,
                        &mut walk.metadata,
                    );
                    Ok(trees)
                },
            )
        });
    let trees = trees?;
    let store = Store {
        packs: &packs,
        table: &table,
        git_dir: &git_dir,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .context("failed to start the walking threads")?;
    let mut reach = Reach::new(&table);
    walk_trees(&store, &pool, &mut reach, 0, ctx, &mut walk);
    for (name, tree) in trees {
        walk_rootless(&repo, tree, &format!("{name}:"), ctx, &mut walk);
    }

    if opts.all_objects {
        let (commits, blobs) = unreachable_objects(&repo, &walk, &reach, &table)?;
        let first_new = walk.graph.order.len();
        add_commits(
            &repo,
            &commits,
            &shallow,
            ctx,
            &mut walk.graph,
            &mut walk.metadata,
        );
        walk_trees(&store, &pool, &mut reach, first_new, ctx, &mut walk);
        for blob in blobs {
            walk.blobs.entry(blob).or_insert(NO_COMMIT);
        }
    }
    if walk.gitlinks > 0 {
        ctx.problems.warn(&format!(
            "skipped {} submodule entr{} (gitlinks): scan each submodule's repository on its own",
            walk.gitlinks,
            if walk.gitlinks == 1 { "y" } else { "ies" }
        ));
    }

    let ids: Vec<Oid> = walk.blobs.keys().copied().collect();
    let (hits, mut stats) = scan_blobs(
        &ObjectStore::of(&repo),
        &ids,
        Some(&packs),
        opts.threads,
        ctx,
    )?;
    drop(ids);

    // Which trees hold the blobs with findings (and the names holding a
    // key), for finding their paths: one more reading of the trees, only
    // when there is something to find.
    let with_hits: HashSet<Oid> = hits.keys().copied().collect();
    let ancestors = (!with_hits.is_empty() || !walk.named.is_empty())
        .then(|| pool.install(|| reach.ancestors(&store, &with_hits, &walk.named)));
    drop(reach);
    let mut findings = attribute(
        &repo,
        &walk,
        ancestors.as_ref(),
        &hits,
        opts,
        ctx,
        &mut stats,
    );
    findings.append(&mut walk.metadata);
    Ok((findings, stats))
}

/// Findings for the blobs with hits, at the commit and path that introduced
/// them (see the module docs). Allow-listed paths are counted in `stats`.
fn attribute(
    repo: &Repository,
    walk: &Walk,
    ancestors: Option<&Ancestors<'_>>,
    hits: &HashMap<Oid, BlobHits>,
    opts: &HistoryOptions,
    ctx: &ScanContext<'_>,
    stats: &mut Stats,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut later: HashSet<Oid> = HashSet::new();
    let mut holds = Holds { ancestors };
    if opts.all_occurrences {
        later.extend(hits.keys().copied());
    } else {
        // The first commit's paths; blobs seen there only at allow-listed
        // paths are looked for further on.
        let mut by_commit: HashMap<NodeIx, HashSet<Oid>> = HashMap::new();
        for id in hits.keys() {
            by_commit.entry(walk.blobs[id]).or_default().insert(*id);
        }
        let mut commits: Vec<_> = by_commit.into_iter().collect();
        commits.sort_by_key(|(ix, _)| *ix);
        for (ix, ids) in commits {
            if ix == NO_COMMIT {
                for id in ids {
                    let at = provenance(rootless_path(walk, id), None);
                    hits[&id].findings(repo, id, ctx, &at, &mut findings);
                }
                continue;
            }
            let node = &walk.graph.nodes[ix as usize];
            let info = commit_info_of(repo, node.id, ctx);
            let mut paths: HashMap<Oid, Vec<Vec<u8>>> = HashMap::new();
            find_paths(
                repo,
                node.tree,
                &mut Vec::new(),
                &ids,
                &mut holds,
                &mut paths,
                ctx,
            );
            for id in ids {
                let mut reported = false;
                for p in paths.get(&id).into_iter().flatten() {
                    let p = repo_path(p);
                    if ctx.config.repo_path_allowed(&p) {
                        stats.allowlisted += 1;
                        continue;
                    }
                    reported = true;
                    hits[&id].findings(repo, id, ctx, &provenance(p, info.clone()), &mut findings);
                }
                if !reported {
                    later.insert(id);
                }
            }
        }
    }
    if !later.is_empty() {
        let mut first_only: HashSet<Oid> = HashSet::new();
        let mut infos: HashMap<NodeIx, Option<CommitInfo>> = HashMap::new();
        for (ix, path, id) in introductions(repo, &walk.graph, &later, &mut holds, ctx) {
            let p = repo_path(&path);
            if ctx.config.repo_path_allowed(&p) {
                stats.allowlisted += 1;
                continue;
            }
            if !opts.all_occurrences && !first_only.insert(id) {
                continue;
            }
            let node = &walk.graph.nodes[ix as usize];
            let info = infos
                .entry(ix)
                .or_insert_with(|| commit_info_of(repo, node.id, ctx))
                .clone();
            hits[&id].findings(repo, id, ctx, &provenance(p, info), &mut findings);
        }
        for id in later {
            if walk.blobs[&id] == NO_COMMIT && opts.all_occurrences {
                let at = provenance(rootless_path(walk, id), None);
                hits[&id].findings(repo, id, ctx, &at, &mut findings);
            }
        }
    }
    name_findings(repo, walk, ancestors, opts, ctx, &mut findings);
    if !opts.all_occurrences {
        first_per_place(&mut findings, &walk.graph);
    }
    findings
}

/// Keep one finding per (rule, path, key, location): the one from the
/// earliest commit. Each edit of a file makes a new blob, and every version
/// still holding an old key would otherwise report it again. (A key in a
/// file's name and the same key in its content are two findings.)
fn first_per_place(findings: &mut Vec<Finding>, graph: &Graph) {
    let mut position = vec![usize::MAX; graph.nodes.len()];
    for (pos, &ix) in graph.order.iter().enumerate() {
        position[ix as usize] = pos;
    }
    let rank = |f: &Finding| {
        f.commit
            .as_ref()
            .and_then(|c| Oid::from_str(&c.id).ok())
            .and_then(|id| graph.index.get(&id))
            .map_or(usize::MAX, |&ix| position[ix as usize])
    };
    findings.sort_by_cached_key(|f| (rank(f), f.line, f.column));
    let mut seen = HashSet::new();
    findings.retain(|f| {
        seen.insert((
            f.rule_id.clone(),
            f.path.clone(),
            f.secret.sha256().to_string(),
            f.location,
        ))
    });
}

/// The commits at the edge of a shallow clone (their parents are not there).
fn shallow_boundary(repo: &Repository) -> HashSet<Oid> {
    std::fs::read_to_string(repo.path().join("shallow"))
        .map(|text| {
            text.lines()
                .filter_map(|l| Oid::from_str(l.trim()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The commits named by refs and `HEAD`, and refs that name a tree or a blob.
fn ref_roots(
    repo: &Repository,
    ctx: &ScanContext<'_>,
    walk: &mut Walk,
) -> (Vec<Oid>, Vec<(String, Oid)>) {
    let mut commits = Vec::new();
    let mut trees = Vec::new();
    let mut targets: Vec<(String, Oid)> = Vec::new();
    if let Ok(head) = repo.refname_to_id("HEAD") {
        targets.push(("HEAD".to_string(), head));
    }
    match repo.references() {
        Ok(refs) => {
            for r in refs {
                match r {
                    Ok(r) => {
                        let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
                        match r.resolve().ok().and_then(|r| r.target()) {
                            Some(id) => targets.push((name, id)),
                            None => ctx
                                .problems
                                .warn(&format!("skipped ref `{name}`: it points nowhere")),
                        }
                    }
                    Err(e) => ctx
                        .problems
                        .unread(&format!("could not read a ref: {}", e.message())),
                }
            }
        }
        Err(e) => ctx
            .problems
            .unread(&format!("could not list refs: {}", e.message())),
    }
    let mut tags = HashSet::new();
    for (name, id) in targets {
        let on_tag = &mut |tag: &git2::Tag<'_>| {
            if tags.insert(tag.id()) {
                tag_metadata_findings(ctx, tag, &mut walk.metadata);
            }
        };
        match peel_tags(repo, id, on_tag) {
            Ok(o) => match o.kind() {
                Some(ObjectType::Commit) => commits.push(o.id()),
                Some(ObjectType::Tree) => trees.push((name, o.id())),
                Some(ObjectType::Blob) if !walk.blobs.contains_key(&o.id()) => {
                    walk.blobs.insert(o.id(), NO_COMMIT);
                    walk.rootless.insert(o.id(), name);
                }
                _ => {}
            },
            Err(e) => ctx.problems.unread(&format!(
                "could not read object {id} named by ref `{name}`: {}",
                e.message()
            )),
        }
    }
    (commits, trees)
}

/// The object `id` names, through any chain of annotated tags. (libgit2's
/// `peel(Any)` would also peel a commit to its tree.)
/// The object `id` names, through annotated tags, each shown to `on_tag`.
fn peel_tags<'r>(
    repo: &'r Repository,
    id: Oid,
    on_tag: &mut dyn FnMut(&git2::Tag<'_>),
) -> Result<git2::Object<'r>, git2::Error> {
    let mut object = repo.find_object(id, None)?;
    while let Some(tag) = object.as_tag() {
        on_tag(tag);
        object = tag.target()?;
    }
    Ok(object)
}

/// Read every commit reachable from `roots` that is not in `graph` yet, and
/// append them to `graph.order` parents-first.
fn add_commits(
    repo: &Repository,
    roots: &[Oid],
    shallow: &HashSet<Oid>,
    ctx: &ScanContext<'_>,
    graph: &mut Graph,
    metadata: &mut Vec<Finding>,
) {
    let first = graph.nodes.len();
    let mut parent_ids: Vec<Vec<Oid>> = Vec::new();
    let mut stack: Vec<Oid> = roots.to_vec();
    let mut missing: HashSet<Oid> = HashSet::new();
    while let Some(id) = stack.pop() {
        if graph.index.contains_key(&id) || missing.contains(&id) {
            continue;
        }
        let commit = match repo.find_commit(id) {
            Ok(c) => c,
            Err(e) => {
                ctx.problems
                    .unread(&format!("could not read commit {id}: {}", e.message()));
                missing.insert(id);
                continue;
            }
        };
        let parents: Vec<Oid> = if shallow.contains(&id) {
            Vec::new()
        } else {
            commit.parent_ids().collect()
        };
        stack.extend(parents.iter().copied());
        commit_metadata_findings(ctx, &commit, metadata);
        graph.index.insert(id, graph.nodes.len() as NodeIx);
        graph.nodes.push(Node {
            id,
            tree: commit.tree_id(),
            parents: Vec::new(),
            time: commit.time().seconds(),
        });
        parent_ids.push(parents);
    }
    // Kahn's algorithm over the new commits, oldest ready commit first.
    let count = graph.nodes.len() - first;
    let mut children: Vec<Vec<NodeIx>> = vec![Vec::new(); count];
    let mut waiting: Vec<usize> = vec![0; count];
    for (k, parents) in parent_ids.into_iter().enumerate() {
        let ix = (first + k) as NodeIx;
        let parents: Vec<NodeIx> = parents
            .iter()
            .filter_map(|p| graph.index.get(p).copied())
            .collect();
        for &p in &parents {
            if p as usize >= first {
                children[p as usize - first].push(ix);
                waiting[k] += 1;
            }
        }
        graph.nodes[ix as usize].parents = parents;
    }
    let mut ready: BinaryHeap<Reverse<(i64, NodeIx)>> = (0..count)
        .filter(|&k| waiting[k] == 0)
        .map(|k| Reverse((graph.nodes[first + k].time, (first + k) as NodeIx)))
        .collect();
    while let Some(Reverse((_, ix))) = ready.pop() {
        graph.order.push(ix);
        for &child in &children[ix as usize - first] {
            let k = child as usize - first;
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.push(Reverse((graph.nodes[child as usize].time, child)));
            }
        }
    }
}

/// Labels the walk's commits' trees and everything below them (see
/// [`super::trees`]): each blob's first commit. Only the commits from
/// position `from` of the order are new.
fn walk_trees(
    store: &Store<'_>,
    pool: &rayon::ThreadPool,
    reach: &mut Reach,
    from: usize,
    ctx: &ScanContext<'_>,
    walk: &mut Walk,
) {
    let order = &walk.graph.order;
    let nodes = &walk.graph.nodes;
    let roots: Vec<(Oid, u32)> = (from..order.len())
        .map(|position| (nodes[order[position] as usize].tree, position as u32))
        .collect();
    let observer = Reporter {
        ctx,
        commit_at: &|label| nodes[order[label as usize] as usize].id,
    };
    let gitlinks = reach.gitlinks();
    pool.install(|| reach.walk(store, &roots, &observer));
    walk.gitlinks += reach.gitlinks() - gitlinks;
    walk.named.extend(reach.named());
    for (blob, label) in reach.blobs(store.table) {
        walk.blobs.entry(blob).or_insert(order[label as usize]);
    }
}

/// What the tree walk reports, in the scan's terms.
struct Reporter<'a> {
    ctx: &'a ScanContext<'a>,
    /// The commit at a position of the order.
    commit_at: &'a (dyn Fn(u32) -> Oid + Sync),
}

impl Observer for Reporter<'_> {
    fn name_holds_key(&self, name: &[u8]) -> bool {
        self.ctx.scanner.name_holds_key(name)
    }

    fn unreadable(&self, tree: Oid, label: u32, why: &str) {
        let commit = if label == UNREACHED {
            String::new()
        } else {
            format!(" (in commit {})", (self.commit_at)(label))
        };
        self.ctx
            .problems
            .unread(&format!("could not read tree {tree}{commit}: {why}"));
    }
}

/// Read a tree with libgit2; one that cannot be read is reported as unread.
fn read_tree<'r>(repo: &'r Repository, id: Oid, ctx: &ScanContext<'_>) -> Option<git2::Tree<'r>> {
    repo.find_tree(id)
        .map_err(|e| {
            ctx.problems
                .unread(&format!("could not read tree {id}: {}", e.message()))
        })
        .ok()
}

/// Walk a tree named by a ref directly (not through a commit), keeping paths.
fn walk_rootless(
    repo: &Repository,
    tree_id: Oid,
    prefix: &str,
    ctx: &ScanContext<'_>,
    walk: &mut Walk,
) {
    if !walk.trees.insert(tree_id) {
        return;
    }
    let Some(tree) = read_tree(repo, tree_id, ctx) else {
        return;
    };
    for entry in tree.iter() {
        let path = format!("{prefix}{}", repo_path(entry.name_bytes()));
        if ctx.scanner.name_holds_key(entry.name_bytes()) {
            let at = provenance(path.clone(), None);
            ctx.path_findings(&at, prefix.len(), &mut walk.metadata);
        }
        match entry.filemode() {
            MODE_TREE => walk_rootless(repo, entry.id(), &format!("{path}/"), ctx, walk),
            MODE_GITLINK => walk.gitlinks += 1,
            _ => {
                if let std::collections::hash_map::Entry::Vacant(v) = walk.blobs.entry(entry.id()) {
                    v.insert(NO_COMMIT);
                    walk.rootless.insert(entry.id(), path);
                }
            }
        }
    }
}

/// Objects in the database that the walk did not reach: commits (to walk as
/// further roots) and blobs.
fn unreachable_objects(
    repo: &Repository,
    walk: &Walk,
    reach: &Reach,
    table: &ObjectTable,
) -> Result<(Vec<Oid>, Vec<Oid>)> {
    let odb = repo.odb().context("failed to open the object database")?;
    let mut unknown = Vec::new();
    odb.foreach(|id| {
        if !walk.blobs.contains_key(id)
            && !walk.trees.contains(id)
            && !reach.reached_tree(table, id)
            && !walk.graph.index.contains_key(id)
        {
            unknown.push(*id);
        }
        true
    })
    .context("failed to list the object database")?;
    let (mut commits, mut blobs) = (Vec::new(), Vec::new());
    for id in unknown {
        match odb.read_header(id) {
            Ok((_, ObjectType::Commit)) => commits.push(id),
            Ok((_, ObjectType::Blob)) => blobs.push(id),
            _ => {}
        }
    }
    commits.sort();
    commits.dedup();
    blobs.sort();
    blobs.dedup();
    Ok((commits, blobs))
}

fn commit_info_of(repo: &Repository, id: Oid, ctx: &ScanContext<'_>) -> Option<CommitInfo> {
    match repo.find_commit(id) {
        Ok(c) => Some(commit_info(&c)),
        Err(e) => {
            ctx.problems
                .unread(&format!("could not read commit {id}: {}", e.message()));
            None
        }
    }
}

fn rootless_path(walk: &Walk, id: Oid) -> String {
    walk.rootless
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("<unreachable>/{id}"))
}

/// Which trees may hold one of the blobs with hits ([`Reach::ancestors`]),
/// so that finding paths reads with libgit2 only the trees on the way to
/// those blobs. Without the answer, any tree may.
struct Holds<'a> {
    ancestors: Option<&'a Ancestors<'a>>,
}

impl Holds<'_> {
    fn may_hold(&mut self, tree: Oid) -> bool {
        self.ancestors.is_none_or(|a| a.may_hold_blob(&tree))
    }
}

/// Every path in `tree_id` (under `prefix`) holding one of `wanted`.
fn find_paths(
    repo: &Repository,
    tree_id: Oid,
    prefix: &mut Vec<u8>,
    wanted: &HashSet<Oid>,
    holds: &mut Holds<'_>,
    out: &mut HashMap<Oid, Vec<Vec<u8>>>,
    ctx: &ScanContext<'_>,
) {
    if !holds.may_hold(tree_id) {
        return;
    }
    let Some(tree) = read_tree(repo, tree_id, ctx) else {
        return;
    };
    for entry in tree.iter() {
        let len = prefix.len();
        prefix.extend_from_slice(entry.name_bytes());
        match entry.filemode() {
            MODE_TREE => {
                prefix.push(b'/');
                find_paths(repo, entry.id(), prefix, wanted, holds, out, ctx);
            }
            MODE_GITLINK => {}
            _ if wanted.contains(&entry.id()) => {
                out.entry(entry.id()).or_default().push(prefix.clone())
            }
            _ => {}
        }
        prefix.truncate(len);
    }
}

/// (path, blob) pairs of `wanted` blobs in a tree, memoised per tree id.
type Contents = Rc<Vec<(Vec<u8>, Oid)>>;

/// Every (commit, path, blob) where a commit introduced one of `wanted` at a
/// path: its tree holds the blob there and no parent's tree does. In walk
/// order, so the first entry for a blob is its first introduction.
fn introductions(
    repo: &Repository,
    graph: &Graph,
    wanted: &HashSet<Oid>,
    holds: &mut Holds<'_>,
    ctx: &ScanContext<'_>,
) -> Vec<(NodeIx, Vec<u8>, Oid)> {
    let mut memo: HashMap<Oid, Contents> = HashMap::new();
    let mut out = Vec::new();
    for &ix in &graph.order {
        let node = &graph.nodes[ix as usize];
        let here = contents(repo, node.tree, wanted, holds, &mut memo, ctx);
        if here.is_empty() {
            continue;
        }
        let parents: Vec<Contents> = node
            .parents
            .iter()
            .map(|&p| {
                let tree = graph.nodes[p as usize].tree;
                contents(repo, tree, wanted, holds, &mut memo, ctx)
            })
            .collect();
        for (path, id) in here.iter() {
            if !parents
                .iter()
                .any(|pc| pc.iter().any(|(pp, pid)| pp == path && pid == id))
            {
                out.push((ix, path.clone(), *id));
            }
        }
    }
    out
}

fn contents(
    repo: &Repository,
    tree_id: Oid,
    wanted: &HashSet<Oid>,
    holds: &mut Holds<'_>,
    memo: &mut HashMap<Oid, Contents>,
    ctx: &ScanContext<'_>,
) -> Contents {
    if let Some(c) = memo.get(&tree_id) {
        return Rc::clone(c);
    }
    if !holds.may_hold(tree_id) {
        let none = Rc::new(Vec::new());
        memo.insert(tree_id, Rc::clone(&none));
        return none;
    }
    let mut found = Vec::new();
    for entry in read_tree(repo, tree_id, ctx).iter().flat_map(|t| t.iter()) {
        match entry.filemode() {
            MODE_TREE => {
                let sub = contents(repo, entry.id(), wanted, holds, memo, ctx);
                for (path, id) in sub.iter() {
                    let mut p = entry.name_bytes().to_vec();
                    p.push(b'/');
                    p.extend_from_slice(path);
                    found.push((p, *id));
                }
            }
            MODE_GITLINK => {}
            _ if wanted.contains(&entry.id()) => {
                found.push((entry.name_bytes().to_vec(), entry.id()))
            }
            _ => {}
        }
    }
    let found = Rc::new(found);
    memo.insert(tree_id, Rc::clone(&found));
    found
}

/// Findings for keys in file, folder and submodule names: each path whose
/// last name holds a key, at the commits that introduced it (the first one
/// only, unless `--all-occurrences`): whose tree has the path while none of
/// their parents' trees do. Costs nothing when no tree has such a name.
fn name_findings(
    repo: &Repository,
    walk: &Walk,
    ancestors: Option<&Ancestors<'_>>,
    opts: &HistoryOptions,
    ctx: &ScanContext<'_>,
    out: &mut Vec<Finding>,
) {
    let named = &walk.named;
    if named.is_empty() {
        return;
    }
    let mut names = NamePaths {
        repo,
        ancestors,
        named,
        ctx,
        memo: HashMap::new(),
    };
    let mut first: HashSet<Rc<[u8]>> = HashSet::new();
    for &ix in &walk.graph.order {
        let node = &walk.graph.nodes[ix as usize];
        let here = names.paths(node.tree);
        if here.is_empty() {
            continue;
        }
        let parents: Vec<NamedPaths> = node
            .parents
            .iter()
            .map(|&p| names.paths(walk.graph.nodes[p as usize].tree))
            .collect();
        let mut commit = None;
        for path in here.iter() {
            if parents.iter().any(|pp| pp.binary_search(path).is_ok()) {
                continue;
            }
            let shown = repo_path(path);
            if ctx.config.repo_path_allowed(&shown)
                || (!opts.all_occurrences && !first.insert(Rc::clone(path)))
            {
                continue;
            }
            let info = commit
                .get_or_insert_with(|| commit_info_of(repo, node.id, ctx))
                .clone();
            let mut at = provenance(shown, info);
            at.raw = super::non_utf8(path);
            // Only the last name: a folder holding a key is its own path.
            let last = at.path.rfind('/').map_or(0, |i| i + 1);
            ctx.path_findings(&at, last, out);
        }
    }
}

/// The paths in a tree whose last name holds a key, sorted.
type NamedPaths = Rc<Vec<Rc<[u8]>>>;

/// Finds the paths of names holding keys, reading with libgit2 only the
/// trees on the way to the trees listed as having such a name.
struct NamePaths<'a> {
    repo: &'a Repository,
    /// Which trees are, or hold, one of `named` ([`Reach::ancestors`]).
    ancestors: Option<&'a Ancestors<'a>>,
    /// The trees with an entry whose name holds a key.
    named: &'a HashSet<Oid>,
    ctx: &'a ScanContext<'a>,
    memo: HashMap<Oid, NamedPaths>,
}

impl NamePaths<'_> {
    /// Whether the tree or a tree below it is one of `named`; a tree not
    /// answered there may be.
    fn may_hold(&mut self, tree: Oid) -> bool {
        self.named.contains(&tree) || self.ancestors.is_none_or(|a| a.may_hold_name(&tree))
    }

    fn paths(&mut self, tree_id: Oid) -> NamedPaths {
        if let Some(p) = self.memo.get(&tree_id) {
            return Rc::clone(p);
        }
        let mut found: Vec<Rc<[u8]>> = Vec::new();
        let repo = self.repo;
        if self.may_hold(tree_id) {
            for entry in read_tree(repo, tree_id, self.ctx)
                .iter()
                .flat_map(|t| t.iter())
            {
                let name = entry.name_bytes();
                if self.ctx.scanner.name_holds_key(name) {
                    found.push(Rc::from(name));
                }
                if entry.filemode() == MODE_TREE {
                    for sub in self.paths(entry.id()).iter() {
                        let mut p = Vec::with_capacity(name.len() + 1 + sub.len());
                        p.extend_from_slice(name);
                        p.push(b'/');
                        p.extend_from_slice(sub);
                        found.push(Rc::from(p));
                    }
                }
            }
            found.sort();
        }
        let found = Rc::new(found);
        self.memo.insert(tree_id, Rc::clone(&found));
        found
    }
}
