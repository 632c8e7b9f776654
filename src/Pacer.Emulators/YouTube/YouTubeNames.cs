namespace Pacer.Emulators.YouTube;

/// <summary>Words that seeded channel and video titles are made of.</summary>
internal static class YouTubeNames
{
    public static readonly string[] Adjectives =
    [
        "Quiet", "Rapid", "Golden", "Northern", "Curious", "Honest", "Little", "Electric", "Patient", "Wild",
        "Urban", "Silver", "Daily", "Crooked", "Gentle", "Bold", "Tiny", "Lazy", "Clever", "Sunny",
        "Rusty", "Modern", "Cosmic", "Humble", "Frozen", "Hidden", "Lucky", "Steady", "Velvet", "Nimble",
        "Amber", "Misty",
    ];

    public static readonly string[] Nouns =
    [
        "River", "Workshop", "Kitchen", "Garage", "Garden", "Atlas", "Signal", "Harbor", "Canvas", "Engine",
        "Lantern", "Orchard", "Compass", "Studio", "Circuit", "Meadow", "Forge", "Library", "Summit", "Bakery",
        "Voyage", "Prism", "Anchor", "Falcon", "Pixel", "Harvest", "Thread", "Beacon", "Ledger", "Cabin",
        "Rocket", "Tide",
    ];

    public static readonly string[] Topics =
    [
        "woodworking", "sourdough", "bike repair", "home networking", "vegetable gardening", "retro games",
        "budget travel", "synthesizers", "watercolour", "electronics", "climbing", "coffee", "astronomy",
        "knitting", "carpentry", "photography",
    ];

    public static readonly string[] VideoTemplates =
    [
        "How I fixed my {0} in {1} minutes",
        "{0} for beginners, part {1}",
        "The {2} guide to {0}",
        "{1} mistakes everyone makes with {0}",
        "Trying {0} for {1} days",
        "{0}: a {2} weekend",
        "Why {0} is harder than it looks ({1} tips)",
        "Live Q&A #{1}: {0}",
    ];
}
