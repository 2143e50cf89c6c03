import Foundation
import ImageSpec

/// Dates the history entries a build left undated, the way BuildKit's image exporter does, so that
/// an image rebuilt entirely from the cache has the same config (and ID) as before:
/// - a layer's entry already has the time the layer was first made (from the cache record);
/// - a config-only entry gets the time of the nearest layer entry before it, or — before the first
///   new layer — the time of that first new layer; with no new layer at all, the last dated entry's;
/// - the image's `created` is the last entry's time (now, when nothing is dated).
enum HistoryDates {
    static func fill(_ history: inout [History]) {
        // The first dated entry after an undated one, else the last dated entry.
        var current: Timestamp?
        var sawUndated = false
        for entry in history {
            if let created = entry.created {
                current = created
                if sawUndated { break }
            } else {
                sawUndated = true
            }
        }
        sawUndated = false
        for i in history.indices {
            if let created = history[i].created {
                if sawUndated { current = created }
            } else {
                sawUndated = true
                history[i].created = current
            }
        }
    }

    /// The image's `created`: the last history entry's time.
    static func imageCreated(_ history: [History]) -> Timestamp? {
        history.last(where: { $0.created != nil })?.created
    }
}
