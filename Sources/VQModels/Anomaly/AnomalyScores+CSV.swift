/// The scores as a CSV table, one row per input (FORMATS.md, "Anomaly scores"):
///
///     index,label,anomalous,reconstruction_error,quantization_distance,prior_surprise,combined
///
/// `index` is the input's position in its split (from 0); `label` its class, empty without labels;
/// `anomalous` 1 when the label is not a normal class, 0 when it is, empty without normal classes;
/// then every score present, in `AnomalyScore` order, each written as the shortest decimal that reads
/// back as the same Double, so a checker recomputes exactly the figures the tool printed. Lines end
/// with "\n".
extension AnomalyScores {
    public func csv(labels: [Int32], normalClasses: [Int]?) -> String {
        precondition(labels.isEmpty || labels.count == count, "AnomalyScores.csv: \(labels.count) labels for \(count) inputs")
        let normal = normalClasses.map { Set($0.map(Int32.init)) }
        let columns = scores
        var text = (["index", "label", "anomalous"] + columns.map(\.rawValue)).joined(separator: ",") + "\n"
        text.reserveCapacity(count * (12 + 24 * columns.count))
        for item in 0..<count {
            let label = labels.isEmpty ? "" : "\(labels[item])"
            let anomalous = labels.isEmpty || normal == nil ? "" : (normal!.contains(labels[item]) ? "0" : "1")
            text += "\(item),\(label),\(anomalous)"
            for score in columns { text += ",\(values[score]![item])" }
            text += "\n"
        }
        return text
    }
}
