//! Vendor payload formats, each parsed into `AlertInput` messages.
