#if canImport(Glibc)
import Glibc
#endif
import BoxCore

// `rename`: a new `names/` link taken atomically, the record changed, the old link removed.

extension Lifecycle {
    /// Gives the container `r` the name `newName` (a leading `/` is dropped, as Docker does).
    public func rename(_ r: ContainerRecord, to newName: String) throws(BoxError) {
        let name = newName.hasPrefix("/") ? String(newName.dropFirst()) : newName
        guard !name.isEmpty else { throw BoxError(.invalidArgument, "neither old nor new names may be empty") }
        try Containers.validateName(name)
        var reserved = false
        var oldName = ""
        do throws(BoxError) {
            // under the container's lock, so two renames of one container cannot both win
            try store.update(r.id) { (c) throws(BoxError) in
                guard c.name != name else {
                    throw BoxError(.invalidArgument, "renaming a container with the same name as its current name")
                }
                do throws(BoxError) {
                    try store.reserve(name, for: c.id)
                } catch {
                    throw BoxError(error.code, "error when allocating new name: \(error.message)")
                }
                reserved = true
                oldName = c.name
                c.name = name
            }
        } catch {
            if reserved { unlink(store.namePath(name)) }
            throw error
        }
        // the old name is free only once the record no longer holds it
        if store.nameOwner(oldName) == r.id { unlink(store.namePath(oldName)) }
    }
}
