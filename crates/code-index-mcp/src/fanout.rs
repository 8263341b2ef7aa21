//! One question to several projects' daemons, their answers merged into one
//! page. Every listing op's result is a [`Listing`] of items and every
//! listing op's params a [`Paged`] request, so one function, [`across`],
//! serves them all: with one project it passes the page through; with
//! several it asks each for everything up to the end of the page, tags each
//! item with its project, and cuts the page from the concatenation.

use std::sync::Arc;

use code_index_protocol as wire;
use code_index_protocol::calls::{Call, limits};
use code_index_protocol::{PageRequest, Progress};
use serde::Serialize;

use crate::daemon_client::{DaemonClient, DaemonError};

/// Params that carry a page request.
pub trait Paged {
    /// The page asked for; `None` for ops that answer everything at once.
    fn paging_mut(&mut self) -> Option<&mut PageRequest>;
}

macro_rules! paged {
    ($($t:ty),*) => {$(
        impl Paged for $t {
            fn paging_mut(&mut self) -> Option<&mut PageRequest> {
                Some(&mut self.paging)
            }
        }
    )*};
}

paged!(
    wire::SearchSymbolsParams,
    wire::DefinitionsParams,
    wire::ReferencesParams,
    wire::CallGraphParams,
    wire::FilesParams,
    wire::DirParams,
    wire::SearchTextParams,
    wire::DependentsParams
);

impl Paged for wire::NameParams {
    fn paging_mut(&mut self) -> Option<&mut PageRequest> {
        None
    }
}

/// A result that is a list of items, perhaps one page of more.
pub trait Listing {
    type Item;
    /// Items in all, on every page.
    fn total(&self) -> u64;
    /// Where this page starts.
    fn offset(&self) -> u64 {
        0
    }
    /// `total` counts up to a cap.
    fn lower_bound(&self) -> bool {
        false
    }
    /// How many of `total` are resolved, for graded listings.
    fn resolved(&self) -> Option<u64> {
        None
    }
    /// How many `distant` matches were left out, for graded listings.
    fn distant_left_out(&self) -> u64 {
        0
    }
    /// The overrides and implementations of what was asked, for
    /// references: the first ones, and how many there are.
    fn take_overrides(&mut self) -> (Vec<wire::DefinitionSite>, u64) {
        (Vec::new(), 0)
    }
    fn into_items(self) -> Vec<Self::Item>;
}

impl<T> Listing for wire::Page<T> {
    type Item = T;
    fn total(&self) -> u64 {
        self.total
    }
    fn offset(&self) -> u64 {
        self.offset
    }
    fn lower_bound(&self) -> bool {
        self.total_is_lower_bound == Some(true)
    }
    fn into_items(self) -> Vec<T> {
        self.items
    }
}

/// One reference, with the file it is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathHit {
    pub path: String,
    #[serde(flatten)]
    pub hit: wire::ReferenceHit,
}

impl Listing for wire::ReferencesResult {
    type Item = PathHit;
    fn total(&self) -> u64 {
        self.total
    }
    fn resolved(&self) -> Option<u64> {
        Some(self.resolved)
    }
    fn distant_left_out(&self) -> u64 {
        self.distant_left_out
    }
    fn take_overrides(&mut self) -> (Vec<wire::DefinitionSite>, u64) {
        let total = self.overrides_total.max(self.overrides.len() as u64);
        (std::mem::take(&mut self.overrides), total)
    }
    fn offset(&self) -> u64 {
        self.offset
    }
    fn into_items(self) -> Vec<PathHit> {
        self.files
            .into_iter()
            .flat_map(|f| {
                let path = f.path;
                f.references.into_iter().map(move |hit| PathHit {
                    path: path.clone(),
                    hit,
                })
            })
            .collect()
    }
}

impl Listing for wire::CallGraph {
    type Item = wire::CallEdge;
    fn total(&self) -> u64 {
        self.total
    }
    fn resolved(&self) -> Option<u64> {
        Some(self.resolved)
    }
    fn distant_left_out(&self) -> u64 {
        self.distant_left_out
    }
    fn offset(&self) -> u64 {
        self.offset
    }
    fn into_items(self) -> Vec<wire::CallEdge> {
        self.edges
    }
}

/// Which side of a type relation an item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// A type that implements or extends the one asked about.
    Implementation,
    /// A type the one asked about implements or extends.
    Supertype,
}

/// One type relation, and its side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Relation {
    pub side: Side,
    #[serde(flatten)]
    pub relation: wire::TypeRelation,
}

impl Listing for wire::Implementations {
    type Item = Relation;
    fn total(&self) -> u64 {
        (self.implementations.len() + self.supertypes.len()) as u64
    }
    fn into_items(self) -> Vec<Relation> {
        let tag = |side| move |relation| Relation { side, relation };
        let mut items: Vec<Relation> = self
            .implementations
            .into_iter()
            .map(tag(Side::Implementation))
            .collect();
        items.extend(self.supertypes.into_iter().map(tag(Side::Supertype)));
        items
    }
}

/// An item and the project it comes from (named only when the server
/// answers for several).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tagged<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(flatten)]
    pub item: T,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One page of items from one or more projects.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Merged<T> {
    pub total: u64,
    pub offset: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_is_lower_bound: bool,
    /// How many of `total` are resolved, for graded listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<u64>,
    /// Same-name matches graded `distant` that the answer leaves out.
    #[serde(skip_serializing_if = "is_zero")]
    pub distant_left_out: u64,
    /// Definitions that override or implement what was asked: their uses
    /// are theirs, not among the items.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<wire::DefinitionSite>,
    /// How many overrides there are, of which `overrides` lists the first.
    #[serde(skip_serializing_if = "is_zero")]
    pub overrides_total: u64,
    pub items: Vec<Tagged<T>>,
    /// False when some project's index is still being built.
    #[serde(skip)]
    pub complete: bool,
    #[serde(skip)]
    pub progress: Option<Progress>,
}

impl<T> Merged<T> {
    /// One project's answer as it is.
    pub fn single(
        mut result: impl Listing<Item = T>,
        complete: bool,
        progress: Option<Progress>,
    ) -> Self {
        let (overrides, overrides_total) = result.take_overrides();
        Merged {
            overrides,
            overrides_total,
            total: result.total(),
            offset: result.offset(),
            total_is_lower_bound: result.lower_bound(),
            resolved: result.resolved(),
            distant_left_out: result.distant_left_out(),
            complete,
            progress,
            items: result
                .into_items()
                .into_iter()
                .map(|item| Tagged {
                    project: None,
                    item,
                })
                .collect(),
        }
    }
}

/// A project to ask: its name when items should carry it, and its daemon.
pub struct Source {
    pub project: Option<String>,
    pub client: Arc<DaemonClient>,
}

/// Asks op `C` of every source and merges the answers into the page
/// `params` asks for.
pub async fn across<C: Call>(
    sources: &[Source],
    mut params: C::Params,
) -> Result<Merged<<C::Result as Listing>::Item>, DaemonError>
where
    C::Params: Paged + Clone,
    C::Result: Listing,
{
    if let [only] = sources {
        let answer = only.client.ask::<C>(&params).await?;
        let mut merged = Merged::single(answer.result, answer.complete, answer.progress);
        for item in &mut merged.items {
            item.project = only.project.clone();
        }
        return Ok(merged);
    }
    // Each project is asked for everything up to the end of the page.
    let page = params.paging_mut().map(|p| {
        let asked = *p;
        let offset = asked.offset.unwrap_or(0);
        let limit = asked.limit.unwrap_or(limits::DEFAULT_LIMIT);
        *p = PageRequest {
            offset: Some(0),
            limit: Some((offset + limit).min(limits::MAX_LIMIT)),
        };
        (offset, limit)
    });
    let mut merged = Merged {
        total: 0,
        offset: page.map_or(0, |(offset, _)| offset),
        total_is_lower_bound: false,
        resolved: None,
        distant_left_out: 0,
        overrides: Vec::new(),
        overrides_total: 0,
        items: Vec::new(),
        complete: true,
        progress: None,
    };
    for source in sources {
        let mut answer = source.client.ask::<C>(&params).await?;
        let (overrides, overrides_total) = answer.result.take_overrides();
        merged.overrides.extend(overrides);
        merged.overrides_total += overrides_total;
        merged.complete &= answer.complete;
        merged.progress = merged.progress.or(answer.progress);
        merged.total += answer.result.total();
        merged.total_is_lower_bound |= answer.result.lower_bound();
        if let Some(resolved) = answer.result.resolved() {
            *merged.resolved.get_or_insert(0) += resolved;
        }
        merged.distant_left_out += answer.result.distant_left_out();
        merged
            .items
            .extend(answer.result.into_items().into_iter().map(|item| Tagged {
                project: source.project.clone(),
                item,
            }));
    }
    if let Some((offset, limit)) = page {
        merged.items = merged
            .items
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
    }
    Ok(merged)
}
