using System.ComponentModel.DataAnnotations;

namespace Pacer.Sinks;

/// <summary>Options of the XLSX workbook sink (<see cref="TableSinks.Xlsx"/>).</summary>
public sealed class XlsxTableSinkOptions
{
    /// <summary>
    /// The name of the workbook's one sheet: 1 to 31 characters, none of <c>[ ] : * ? / \</c>, not starting or ending
    /// with an apostrophe (Excel's rules). Default: <c>videos</c>.
    /// </summary>
    [Required]
    [RegularExpression(@"^(?!')[^\[\]:*?/\\]{1,31}(?<!')$", ErrorMessage = "A sheet name is 1 to 31 characters, none of [ ] : * ? / \\, and does not start or end with an apostrophe.")]
    public string SheetName { get; set; } = "videos";
}
