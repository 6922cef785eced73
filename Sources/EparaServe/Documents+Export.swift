// The stage documents (ClassifiedWorkload, Plan, Run, Report) live in EparaDocuments, apart
// from the algorithms that make them; users of this module see them as before.
@_exported import EparaDocuments
