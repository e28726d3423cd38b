import Foundation

/// Writes report files so that a reader never sees a half-written one: each file goes to a
/// temporary name in the same folder and is renamed over the final name (atomic on POSIX).
public enum FileOutput {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Creates `folder` if needed, then writes every file through a temporary name.
    public static func write(_ files: [(name: String, text: String)], into folder: String) throws(Failure) {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw Failure(description: "cannot create the output folder '\(folder)': \(reason(error))")
        }
        // Everything first goes to temporary names; only when all are written are they renamed.
        var temporaries: [(String, String)] = []
        for (name, text) in files {
            let final = (folder as NSString).appendingPathComponent(name)
            let temporary = (folder as NSString).appendingPathComponent(".\(name).tmp-\(getpid())")
            guard fm.createFile(atPath: temporary, contents: Data(text.utf8)) else {
                for (t, _) in temporaries { try? fm.removeItem(atPath: t) }
                throw Failure(description: "cannot write '\(final)': the folder is not writable")
            }
            temporaries.append((temporary, final))
        }
        for (temporary, final) in temporaries where rename(temporary, final) != 0 {
            for (t, _) in temporaries { try? fm.removeItem(atPath: t) }
            throw Failure(description: "cannot rename '\(temporary)' to '\(final)': \(String(cString: strerror(errno)))")
        }
    }

    static func reason(_ error: Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
