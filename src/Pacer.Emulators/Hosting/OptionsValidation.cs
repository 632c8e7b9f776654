using System.ComponentModel.DataAnnotations;

namespace Pacer.Emulators.Hosting;

/// <summary>Options are checked once, when an emulator starts, never per request.</summary>
internal static class OptionsValidation
{
    /// <summary>Throws one <see cref="ValidationException"/> naming every invalid value of the options and the nested objects given.</summary>
    public static void ThrowIfInvalid(object options, params object[] nested)
    {
        var failures = new List<string>();
        foreach (var target in new[] { options }.Concat(nested))
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(target, new ValidationContext(target), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(r =>
                    $"{target.GetType().Name}.{string.Join(", ", r.MemberNames)}: {r.ErrorMessage}"));
            }
        }
        if (failures.Count > 0)
            throw new ValidationException($"Invalid {options.GetType().Name}: {string.Join(" ", failures)}");
    }
}
